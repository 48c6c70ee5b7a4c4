package runner

import (
	"cmp"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

var guest struct {
	once sync.Once
	path string
	err  error
}

// guestModule builds ../testdata/guest once (GOOS=wasip1).
func guestModule(t *testing.T) string {
	t.Helper()
	guest.once.Do(func() {
		dir, err := os.MkdirTemp("", "fwrunner")
		if err != nil {
			guest.err = err
			return
		}
		guest.path = filepath.Join(dir, "guest.wasm")
		cmd := exec.Command("go", "build", "-o", guest.path, "../testdata/guest")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if out, err := cmd.CombinedOutput(); err != nil {
			guest.err = err
			t.Log(string(out))
		}
	})
	if guest.err != nil {
		t.Fatalf("build guest: %v", guest.err)
	}
	return guest.path
}

func cacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "faas-wasm", "shim-test-cache")
}

func TestRunnerServes(t *testing.T) {
	var guestLog strings.Builder
	var mu sync.Mutex
	cfg := runspec.Config{Name: "guest", ModulePath: guestModule(t), CacheDir: cacheDir(),
		Env: map[string]string{"GREETING": "hello"}, Timeout: time.Second, MaxRequestBytes: 1 << 10}
	r, err := New(context.Background(), cfg, WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		WithGuestLog(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return guestLog.Write(p) })))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"health", "GET", "/_/health", "", 200, "OK"},
		{"echo", "POST", "/echo", "ping", 200, "ping"},
		{"env", "GET", "/env", "", 200, "hello"},
		{"log", "GET", "/log", "", 200, "logged"},
		{"timeout", "GET", "/loop", "", http.StatusGatewayTimeout, "timed out"},
		{"exit", "GET", "/exit", "", http.StatusInternalServerError, "code 3"},
		{"body too large", "POST", "/echo", strings.Repeat("x", 2<<10), http.StatusRequestEntityTooLarge, "larger than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Fatalf("%s %s = %d %q, want %d containing %q", tc.method, tc.path, resp.StatusCode, b, tc.status, tc.want)
			}
		})
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(guestLog.String(), "guest-log-line\n") {
		t.Errorf("guest stderr = %q", guestLog.String())
	}
}

func TestServeStopsGracefully(t *testing.T) {
	r, err := New(context.Background(), runspec.Config{Name: "g", ModulePath: guestModule(t), CacheDir: cacheDir()},
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, l, time.Second) }()
	resp, err := http.Get("http://" + l.Addr().String() + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
}

func TestNewRejectsNonModule(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.wasm")
	os.WriteFile(bad, []byte("not wasm"), 0o600)
	if _, err := New(context.Background(), runspec.Config{Name: "bad", ModulePath: bad, CacheDir: t.TempDir()}); err == nil {
		t.Fatal("New accepted a file that is not Wasm")
	}
	if _, err := Precompile(context.Background(), runspec.Config{Name: "bad", ModulePath: bad, CacheDir: t.TempDir()}); err == nil {
		t.Fatal("Precompile accepted a file that is not Wasm")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestServeDropsStalledClient: a client that sends headers and then stalls
// in its body does not hold the connection beyond the function's timeout.
func TestServeDropsStalledClient(t *testing.T) {
	r, err := New(context.Background(), runspec.Config{Name: "g", ModulePath: guestModule(t), CacheDir: cacheDir(), Timeout: 500 * time.Millisecond},
		WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go r.Serve(ctx, l, time.Second)
	conn, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, conn) // returns when the server closes the connection
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("stalled client held the connection for %s; want it dropped after the 500 ms timeout", waited)
	}
}

// TestRunnerReleasesIdleMemory: the runner gives its idle memory back once
// the function has had no call for Config.IdleRelease — once per idle
// period, not for health checks, not with a negative IdleRelease — and
// serves the same after it. A negative IdleRelease arms no release at all,
// and 0 arms runspec.DefaultIdleRelease: waiting could not tell those two
// apart, so the runner's timer is checked.
func TestRunnerReleasesIdleMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		idle time.Duration
		want int // releases after one call
	}{{"after 200ms", 200 * time.Millisecond, 1}, {"never", -1, 0}, {"default", 0, 0}} {
		t.Run(tc.name, func(t *testing.T) {
			var logs syncbuf.Buffer
			r, err := New(context.Background(), runspec.Config{Name: "g", ModulePath: guestModule(t), CacheDir: cacheDir(), IdleRelease: tc.idle},
				WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			if armed, want := r.idle != nil, tc.idle >= 0; armed != want || (armed && r.idleRelease != cmp.Or(tc.idle, runspec.DefaultIdleRelease)) {
				t.Fatalf("IdleRelease %v: release armed %v after %v; want armed %v after %v",
					tc.idle, armed, r.idleRelease, want, cmp.Or(tc.idle, runspec.DefaultIdleRelease))
			}
			srv := httptest.NewServer(r.Handler())
			t.Cleanup(srv.Close)
			released := func() int { return strings.Count(logs.String(), "idle memory released") }
			echo := func() {
				t.Helper()
				resp, err := http.Post(srv.URL+"/echo", "text/plain", strings.NewReader("ping"))
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(b) != "ping" {
					t.Fatalf("POST /echo = %d %q", resp.StatusCode, b)
				}
			}
			waitReleases := func(n int) {
				t.Helper()
				deadline := time.Now().Add(5 * time.Second)
				for released() < n && time.Now().Before(deadline) {
					time.Sleep(20 * time.Millisecond)
				}
				time.Sleep(2 * max(tc.idle, 100*time.Millisecond))
				if got := released(); got != n {
					t.Fatalf("%d releases, want %d; log:\n%s", got, n, logs.String())
				}
			}
			echo()
			waitReleases(tc.want)
			for range 3 {
				resp, err := http.Get(srv.URL + "/_/health")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			waitReleases(tc.want)
			echo()
			waitReleases(2 * tc.want)
		})
	}
}
