package wasm

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestABIEcho(t *testing.T) {
	for _, g := range goGuests() {
		modes := []Mode{ModeFresh, ModeWarm}
		if g.name == "command" {
			modes = modes[:1] // TestWarmNeedsReactor covers the refusal
		}
		for _, mode := range modes {
			t.Run(g.name+"/"+mode.String(), func(t *testing.T) {
				guest := g.bytes(t)
				f := deploy(t, guest, Config{Env: map[string]string{"MY_VAR": "from-env", "Http_Path": "/overridden"}, Mode: mode})
				for i, body := range []string{"hello", "", strings.Repeat("x", 100000)} {
					ctx := context.Background()
					resp, err := f.Invoke(ctx, &Request{Method: "PUT", Path: "/a/b", RawQuery: "do=echo&i=1",
						Header: http.Header{"X-Call-Id": {"call-7"}, "Content-Type": {"text/plain"}}, Body: []byte(body)})
					if err != nil {
						t.Fatalf("call %d: %v", i, err)
					}
					want := map[string]string{
						"X-Path": "/a/b", "X-Method": "PUT", "X-Call-Id": "call-7", "X-Cgi-Call-Id": "call-7",
						"X-Fn-Env": "from-env", "X-Query": "do=echo&i=1", "Content-Type": "application/octet-stream",
					}
					for k, v := range want {
						if got := resp.Header.Get(k); got != v {
							t.Errorf("call %d: header %s = %q, want %q", i, k, got, v)
						}
					}
					if resp.Status != 200 || string(resp.Body) != body {
						t.Errorf("call %d: status %d body %d bytes, want 200 and %d bytes", i, resp.Status, len(resp.Body), len(body))
					}
					if got := resp.Header.Get("X-Content-Length"); got != itoa(len(body)) {
						t.Errorf("call %d: CONTENT_LENGTH %q, want %d", i, got, len(body))
					}
				}
			})
		}
	}
}

func itoa(n int) string { return fmtInt(n) }

func fmtInt(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestABIEnvironment(t *testing.T) {
	f := deploy(t, cmdGuest, Config{Env: map[string]string{"MY_VAR": "x", "REQUEST_METHOD": "HACK", "BAD": "a\nb"}})
	resp, err := f.Invoke(context.Background(), &Request{Method: "GET", Path: "/p", RawQuery: "do=env",
		Host: "gw.local", RemoteAddr: "10.1.2.3:999",
		Header: http.Header{"X-Multi": {"a", "b"}, "X-Evil": {"line\r\nbreak"}, "Accept-Encoding": {"gzip"}}})
	if err != nil {
		t.Fatal(err)
	}
	env := parseEnv(resp.Body)
	want := map[string]string{
		"REQUEST_METHOD": "GET", "PATH_INFO": "/p", "QUERY_STRING": "do=env", "CONTENT_LENGTH": "0",
		"SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "10.1.2.3:999", "HTTP_HOST": "gw.local",
		"HTTP_X_MULTI": "a, b", "Http_X_Multi": "a, b", "HTTP_ACCEPT_ENCODING": "gzip", "Http_Accept_Encoding": "gzip",
		"Http_Method": "GET", "Http_Path": "/p", "Http_Query": "do=env", "MY_VAR": "x",
	}
	for k, v := range want {
		if env[k] != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"HTTP_X_EVIL", "Http_X_Evil", "BAD"} {
		if _, ok := env[k]; ok {
			t.Errorf("%s is set although its value has a line break", k)
		}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("default Content-Type %q", ct)
	}
}

// parseEnv reads the cmd guest's "do=env" answer: one NAME=value a line.
func parseEnv(body []byte) map[string]string {
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(body)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	return env
}

// TestABIEnvironmentPerCall checks that a command's environment is its own
// request's: a slot reuses the buffer its variables are packed in, so the
// second call must not see the first call's headers, and a NUL in a header
// value ends the value (as in a C string) instead of adding variables.
func TestABIEnvironmentPerCall(t *testing.T) {
	f := deploy(t, cmdGuest, Config{MaxConcurrency: 1, Env: map[string]string{"MY_VAR": "x"}})
	environ := func(h http.Header) map[string]string {
		t.Helper()
		resp, err := f.Invoke(context.Background(), &Request{Method: "GET", Path: "/p", RawQuery: "do=env", Header: h})
		if err != nil {
			t.Fatal(err)
		}
		return parseEnv(resp.Body)
	}
	first := environ(http.Header{"X-First": {strings.Repeat("f", 1000)}, "X-Nul": {"a\x00EVIL\x00x"}})
	if first["HTTP_X_FIRST"] != strings.Repeat("f", 1000) || first["MY_VAR"] != "x" {
		t.Errorf("first call: HTTP_X_FIRST %q, MY_VAR %q", first["HTTP_X_FIRST"], first["MY_VAR"])
	}
	if _, ok := first["EVIL"]; ok || first["HTTP_X_NUL"] != "a" {
		t.Errorf("a NUL in a header value: EVIL set %v, HTTP_X_NUL %q (want \"a\")", ok, first["HTTP_X_NUL"])
	}
	second := environ(http.Header{"X-Second": {"s"}})
	for _, k := range []string{"HTTP_X_FIRST", "Http_X_First", "HTTP_X_NUL"} {
		if _, ok := second[k]; ok {
			t.Errorf("second call sees the first call's %s", k)
		}
	}
	if second["HTTP_X_SECOND"] != "s" || second["MY_VAR"] != "x" || second["QUERY_STRING"] != "do=env" {
		t.Errorf("second call: env %v", second)
	}
}

func TestABIResponses(t *testing.T) {
	for _, g := range goGuests() {
		t.Run(g.name, func(t *testing.T) {
			var logs logSink
			f := deploy(t, g.bytes(t), Config{Env: map[string]string{"content_type": "application/json"}, Log: logs.log})
			resp, err := call(f, "do=status", "")
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != 201 || resp.Header.Get("Location") != "/items/1" || string(resp.Body) != "created" {
				t.Errorf("status: got %d %v %q", resp.Status, resp.Header, resp.Body)
			}
			if resp, err = call(f, "do=counter", ""); err != nil {
				t.Fatal(err)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("content_type env: Content-Type %q", ct)
			}
			if _, err = call(f, "do=log", ""); err != nil {
				t.Fatal(err)
			}
			if got := logs.String(); !strings.Contains(got, "first line\nsecond line") {
				t.Errorf("stderr lines: %q", got)
			}
			_, err = call(f, "do=exit&code=3", "")
			var exit *ExitError
			if !errors.As(err, &exit) || exit.Code != 3 || !strings.Contains(exit.Stderr, "exiting with 3") {
				t.Fatalf("exit: got %v (%#v)", err, exit)
			}
			if !errors.Is(err, &ExitError{}) || errors.Is(err, &TrapError{}) {
				t.Errorf("exit error classes wrong: %v", err)
			}
			// A Go command exits 2 on panic; a Go reactor aborts (a trap).
			_, err = call(f, "do=panic", "")
			var trap *TrapError
			switch {
			case errors.As(err, &exit):
				if exit.Code != 2 || !strings.Contains(exit.Stderr, "guest panicked on purpose") {
					t.Errorf("panic: got %v, stderr %q", err, exit.Stderr)
				}
			case errors.As(err, &trap):
				if !strings.Contains(trap.Stderr, "guest panicked on purpose") || !strings.Contains(trap.Message, "unreachable") {
					t.Errorf("panic: got %v, stderr %q", err, trap.Stderr)
				}
				if strings.Contains(trap.Message, "Stack backtrace") {
					t.Errorf("trap message keeps the host backtrace: %q", trap.Message)
				}
			default:
				t.Errorf("panic: got %v, want an exit or a trap", err)
			}
		})
	}
}

func TestCapabilitiesFilesystem(t *testing.T) {
	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "api-key"), []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside.txt")
	if err := os.WriteFile(outside, []byte("host file"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		query, wantBody string
		wantStatus      int
	}{
		{"do=secret&name=api-key", "s3cr3t", 200},
		{"do=secret&name=missing", "", 404},
		{"do=readfile&path=" + outside, "denied", 403},
		{"do=readfile&path=/etc/passwd", "denied", 403},
		{"do=readfile&path=/var/openfaas/secrets/../../../etc/passwd", "denied", 403},
		{"do=writefile&path=/var/openfaas/secrets/api-key", "denied", 403},
		{"do=writefile&path=/var/openfaas/secrets/new", "denied", 403},
	}
	for _, g := range goGuests() {
		f := deploy(t, g.bytes(t), Config{SecretsDir: secrets})
		for _, c := range cases {
			t.Run(g.name+"/"+c.query, func(t *testing.T) {
				resp, err := call(f, c.query, "")
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != c.wantStatus || !strings.Contains(string(resp.Body), c.wantBody) {
					t.Errorf("got %d %q, want %d containing %q", resp.Status, resp.Body, c.wantStatus, c.wantBody)
				}
			})
		}
	}
	if b, _ := os.ReadFile(filepath.Join(secrets, "api-key")); string(b) != "s3cr3t" {
		t.Errorf("secret was modified: %q", b)
	}
	if _, err := os.Stat(filepath.Join(secrets, "new")); err == nil {
		t.Error("guest created a file in the secrets directory")
	}
	t.Run("no secrets dir", func(t *testing.T) {
		f := deploy(t, cmdGuest, Config{})
		resp, err := call(f, "do=secret&name=api-key", "")
		if err != nil || resp.Status != 404 {
			t.Errorf("got %v %v, want 404", resp, err)
		}
	})
}

func TestWarmNeedsReactor(t *testing.T) {
	e := testEngine(t)
	m, err := e.Compile(context.Background(), cmdGuest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.NewFunction(m, Config{Name: "w", Mode: ModeWarm}); !errors.Is(err, ErrNotFunction) {
		t.Errorf("warm command module: got %v, want ErrNotFunction", err)
	}
}

func TestMemoryLimitBelowModule(t *testing.T) {
	e := testEngine(t)
	m, err := e.Compile(context.Background(), snapshotGuestT(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.NewFunction(m, Config{Name: "tiny", MemoryLimit: 1 << 20}); !errors.Is(err, ErrMemoryLimit) {
		t.Errorf("1 MiB limit for a Go snapshot: got %v, want ErrMemoryLimit", err)
	}
}
