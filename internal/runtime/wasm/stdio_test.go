package wasm

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFdWrite probes fd_write the way WASI answers it: only the first
// non-empty buffer is written, empty writes succeed, and every descriptor
// other than stdout and stderr is refused with EBADF (stdin, the secrets
// preopen, a read-only secret file, an unused number, even with a buffer
// outside memory); fd_fdstat_get, fd_filestat_get, fd_seek and fd_pwrite
// answer for fds 1 and 2 as before. The expected answers are those of
// wasmtime's own WASI with stdout and stderr as files (recorded on that
// code, 2026-12-06).
func TestFdWrite(t *testing.T) {
	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "s"), []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs logSink
	f := deploy(t, cGuest, Config{MaxConcurrency: 1, SecretsDir: secrets, Log: logs.log})
	resp, err := call(f, "do=fdwrite", "")
	if err != nil {
		t.Fatal(err)
	}
	// name=errno/nwritten (77: not set); "ab" is the write of "parts".
	// Then what the other WASI calls say of fds 1 and 2 (unchanged: they
	// still reach WASI, whose stdout and stderr are now its default sinks).
	want := "abparts=0/2\nempty=0/0\nnone=0/0\nstderr=0/4\nstdin=8/77\npreopen=8/77\nunused=8/77\nunused-wild=8/77\nsecret=8/77\n" +
		"fdstat1=0/0/0/64\nfilestat1=0/0/0\nseek1=70/77\npwrite1=70\nfdstat2=0/0/0/64\nfilestat2=0/0/0\nseek2=70/77\npwrite2=70\n"
	if string(resp.Body) != want {
		t.Errorf("body %q, want %q", resp.Body, want)
	}
	if logs.String() != "err" {
		t.Errorf("logs %q, want %q", logs.String(), "err")
	}
	// A buffer outside linear memory traps, as WASI's bounds check does.
	if _, err := call(f, "do=badwrite", ""); !errors.Is(err, &TrapError{}) {
		t.Errorf("write from outside memory: %v, want a trap", err)
	}
}

// TestStdioRenumbered runs guests that close fd 1, move the secrets preopen
// onto it, or move it onto fd 0. Whatever they do, fds 1 and 2 stay the
// call's stdout and stderr and nothing else is writable: no crash, no write
// anywhere else, and the slot's next call sees only its own output. (WASI's
// fd_write, which followed the renumbering, answered close1=0 write1=8,
// renumber3to1=0 write1=8 and renumber1to0=0 write0=0 write1=8.)
func TestStdioRenumbered(t *testing.T) {
	for _, c := range []struct{ query, body, logs string }{
		{"do=closeout", "after close\n", "close1=0\nwrite1=0"},
		{"do=renumber", "onto stdout\n", "renumber3to1=0\nwrite1=0"},
		{"do=moveout", "via 1\n", "renumber1to0=0\nwrite0=8\nwrite1=0"},
	} {
		t.Run(c.query, func(t *testing.T) {
			secrets := t.TempDir()
			var logs logSink
			f := deploy(t, cGuest, Config{MaxConcurrency: 1, SecretsDir: secrets, Log: logs.log})
			resp, err := call(f, c.query, "")
			if err != nil || string(resp.Body) != c.body || logs.String() != c.logs {
				t.Errorf("got %v, body %q, logs %q; want body %q, logs %q", err, resp.Body, logs.String(), c.body, c.logs)
			}
			if resp, err := call(f, "", "next"); err != nil || string(resp.Body) != "next" {
				t.Errorf("next call on the slot: %v %v", resp, err)
			}
			if ents, err := os.ReadDir(secrets); err != nil || len(ents) != 0 {
				t.Errorf("secrets dir: %v %v, want it empty", ents, err)
			}
		})
	}
}

// TestStderrTail checks that Config.Log gets the last 1 MiB (stderrKeep) of
// a call's stderr, line for line, whether its end came in one large write
// or in many small ones.
func TestStderrTail(t *testing.T) {
	for _, c := range []struct {
		query       string
		first, last int
	}{
		{"do=bigerr", 49152, 65535},
		{"do=bigerr2", 24576, 40959},
	} {
		t.Run(c.query, func(t *testing.T) {
			var logs logSink
			f := deploy(t, cGuest, Config{MaxConcurrency: 1, Log: logs.log})
			if resp, err := call(f, c.query, ""); err != nil || string(resp.Body) != "logged" {
				t.Fatalf("%v %v", resp, err)
			}
			got := logs.lines
			if len(got) != c.last-c.first+1 {
				t.Fatalf("%d lines logged, want %d", len(got), c.last-c.first+1)
			}
			for i, line := range got {
				if want := fmt.Sprintf("%063d", c.first+i); line != want {
					t.Fatalf("line %d: %q, want %q", i, line, want)
				}
			}
		})
	}
}

// TestStdoutLimitExact: a response of exactly Config.MaxResponseBytes
// passes, one byte more is ErrResponseTooLarge.
func TestStdoutLimitExact(t *testing.T) {
	const header = len("Content-Type: text/plain\n\n")
	f := deploy(t, cGuest, Config{MaxConcurrency: 1, MaxResponseBytes: int64(header + 5000)})
	if resp, err := call(f, "", strings.Repeat("x", 5000)); err != nil || len(resp.Body) != 5000 {
		t.Fatalf("at the limit: %v %v", resp, err)
	}
	if _, err := call(f, "", strings.Repeat("x", 5001)); !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("one byte over: %v, want ErrResponseTooLarge", err)
	}
}

// TestStderrLogged checks that each Go guest's stderr lines reach Config.Log,
// in every mode.
func TestStderrLogged(t *testing.T) {
	for _, g := range goGuests() {
		modes := []Mode{ModeFresh, ModeWarm}
		if g.name == "command" {
			modes = modes[:1]
		}
		for _, mode := range modes {
			t.Run(g.name+"/"+mode.String(), func(t *testing.T) {
				var logs logSink
				f := deploy(t, g.bytes(t), Config{Mode: mode, MaxConcurrency: 1, Log: logs.log})
				for range 2 {
					if resp, err := call(f, "do=log", ""); err != nil || string(resp.Body) != "logged" {
						t.Fatalf("%v %v", resp, err)
					}
				}
				if want := "first line\nsecond line\nfirst line\nsecond line"; logs.String() != want {
					t.Errorf("logs %q, want %q", logs.String(), want)
				}
			})
		}
	}
}
