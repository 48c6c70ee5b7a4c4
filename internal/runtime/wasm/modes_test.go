package wasm

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestModesState checks isolation per mode: the guest counts its requests in
// a global, so a fresh instance always answers 1 and a warm one counts up.
func TestModesState(t *testing.T) {
	cases := []struct {
		name  string
		guest func(testing.TB) []byte
		mode  Mode
		want  []string
	}{
		{"command fresh", func(testing.TB) []byte { return cmdGuest }, ModeFresh, []string{"1", "1", "1"}},
		{"reactor fresh", func(testing.TB) []byte { return reactorGuest }, ModeFresh, []string{"1", "1", "1"}},
		{"snapshot fresh", snapshotGuestT, ModeFresh, []string{"1", "1", "1"}},
		{"reactor warm", func(testing.TB) []byte { return reactorGuest }, ModeWarm, []string{"1", "2", "3"}},
		{"snapshot warm", snapshotGuestT, ModeWarm, []string{"1", "2", "3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := deploy(t, c.guest(t), Config{Mode: c.mode, MaxConcurrency: 1})
			for i, want := range c.want {
				resp, err := call(f, "do=counter", "")
				if err != nil {
					t.Fatal(err)
				}
				if string(resp.Body) != want {
					t.Errorf("call %d: counter %q, want %s", i, resp.Body, want)
				}
			}
		})
	}
}

// TestWarmRecovers checks that a warm instance that traps is replaced, while
// one whose faas_handle merely returned non-zero is kept.
func TestWarmRecovers(t *testing.T) {
	f := deploy(t, reactorGuest, Config{Mode: ModeWarm, MaxConcurrency: 1, Timeout: 300 * time.Millisecond})
	steps := []struct {
		query, want string
		err         error
	}{
		{"do=counter", "1", nil},
		{"do=counter", "2", nil},
		{"do=exit&code=5", "", &ExitError{Code: 5}},
		{"do=counter", "4", nil}, // same instance: the failed call counted too
		{"do=panic", "", &TrapError{}},
		{"do=counter", "1", nil}, // new instance
		{"do=loop", "", ErrTimeout},
		{"do=counter", "1", nil},
	}
	for i, s := range steps {
		resp, err := call(f, s.query, "")
		if s.err != nil {
			if !errors.Is(err, s.err) {
				t.Fatalf("step %d %s: got %v, want %v", i, s.query, err, s.err)
			}
			continue
		}
		if err != nil || string(resp.Body) != s.want {
			t.Fatalf("step %d %s: got %v %v, want %s", i, s.query, resp, err, s.want)
		}
	}
}

// TestModesManyRequests sends varied requests concurrently and checks each
// answer is its own (no stdin/stdout mixing between calls or instances).
func TestModesManyRequests(t *testing.T) {
	for _, c := range []struct {
		name  string
		guest func(testing.TB) []byte
		mode  Mode
	}{
		{"snapshot fresh", snapshotGuestT, ModeFresh},
		{"snapshot warm", snapshotGuestT, ModeWarm},
		{"reactor warm", func(testing.TB) []byte { return reactorGuest }, ModeWarm},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := deploy(t, c.guest(t), Config{Mode: c.mode, MaxConcurrency: 4})
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for w := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range 100 {
						body := strings.Repeat(fmt.Sprintf("w%d-i%d;", w, i), i%50+1)
						resp, err := call(f, "do=echo&n="+strconv.Itoa(i), body)
						if err != nil {
							errs <- err
							return
						}
						if string(resp.Body) != body || resp.Header.Get("X-Query") != "do=echo&n="+strconv.Itoa(i) {
							errs <- fmt.Errorf("worker %d call %d: got %q (query %q)", w, i, resp.Body, resp.Header.Get("X-Query"))
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestMonotonicClock checks the guest's monotonic clock never runs backwards
// across snapshot and request, instance and instance, warm call and call: the
// guest reports the time since its package init (taken at build time for a
// snapshot), which must be non-negative and, for warm calls, growing.
func TestMonotonicClock(t *testing.T) {
	for _, c := range []struct {
		name  string
		guest func(testing.TB) []byte
		mode  Mode
	}{
		{"snapshot fresh", snapshotGuestT, ModeFresh},
		{"snapshot warm", snapshotGuestT, ModeWarm},
		{"command", func(testing.TB) []byte { return cmdGuest }, ModeFresh},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := deploy(t, c.guest(t), Config{Mode: c.mode, MaxConcurrency: 1})
			last := int64(-1)
			for i := range 5 {
				resp, err := call(f, "do=clock", "")
				if err != nil {
					t.Fatal(err)
				}
				since, err := strconv.ParseInt(string(resp.Body), 10, 64)
				if err != nil || since < 0 {
					t.Fatalf("call %d: time since init %q: %v", i, resp.Body, err)
				}
				if c.mode == ModeWarm && since <= last {
					t.Errorf("call %d: warm clock went from %d to %d", i, last, since)
				}
				last = since
			}
			if resp, err := call(f, "do=sleep&ms=20", ""); err != nil || string(resp.Body) != "slept" {
				t.Errorf("sleep with timers and GC: %v %v", resp, err)
			}
		})
	}
}

// TestNoOutputCarriedOver checks that a call never sees what the call before
// it on the same slot wrote: neither a longer stdout, nor stderr, nor (when
// the call fails while its WASI context is built, before the guest runs) the
// previous call's output as its own; and that a response body does not share
// the slot's output buffer with later calls.
func TestNoOutputCarriedOver(t *testing.T) {
	for _, c := range []struct {
		name  string
		guest func(testing.TB) []byte
		mode  Mode
	}{
		{"command fresh", func(testing.TB) []byte { return cmdGuest }, ModeFresh},
		{"reactor warm", func(testing.TB) []byte { return reactorGuest }, ModeWarm},
	} {
		t.Run(c.name, func(t *testing.T) {
			secrets := t.TempDir()
			var logs logSink
			f := deploy(t, c.guest(t), Config{Mode: c.mode, MaxConcurrency: 1, SecretsDir: secrets, Log: logs.log})
			short, err := call(f, "do=echo", "short")
			if err != nil || string(short.Body) != "short" {
				t.Fatalf("short echo: %v %v", short, err)
			}
			if resp, err := call(f, "do=echo", strings.Repeat("x", 100000)); err != nil || len(resp.Body) != 100000 {
				t.Fatalf("long echo: %v %v", resp, err)
			}
			resp, err := call(f, "do=status", "")
			if err != nil || string(resp.Body) != "created" {
				t.Fatalf("second call: %v %v, want body %q alone", resp, err, "created")
			}
			if resp, err := call(f, "do=log", ""); err != nil || string(resp.Body) != "logged" {
				t.Fatalf("log: %v %v", resp, err)
			}
			if string(short.Body) != "short" {
				t.Errorf("the first response's body changed under later calls: %q", short.Body)
			}
			if got, want := logs.String(), "first line\nsecond line"; got != want {
				t.Fatalf("logs %q, want %q", got, want)
			}
			// The next call fails while preparing its WASI context (the
			// secrets directory is gone): the last call's stderr must not be
			// logged again, nor its stdout taken for this call's.
			if err := os.Remove(secrets); err != nil {
				t.Fatal(err)
			}
			resp, err = call(f, "do=echo", "y")
			if err == nil || !strings.Contains(err.Error(), "preopen secrets") {
				t.Fatalf("call without its secrets dir: %v %v, want a preopen error", resp, err)
			}
			if got, want := logs.String(), "first line\nsecond line"; got != want {
				t.Errorf("logs after the failed call %q, want %q", got, want)
			}
		})
	}
}
