//go:build !wasip1

package functions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder/snapshot"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// echo mirrors testguest's answer.
type echo struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	Query       string `json:"query"`
	Host        string `json:"host"`
	XTest       string `json:"x_test"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
	EnvPath     string `json:"env_http_path"`
	EnvXTest    string `json:"env_http_x_test"`
	EnvFunction string `json:"env_function"`
	Fetched     string `json:"fetched"`
	FetchError  string `json:"fetch_error"`
	HeapBytes   uint64 `json:"heap_bytes"`
	Secret      string `json:"secret"`
	SecretError string `json:"secret_error"`
}

// buildGuest compiles fn/internal/testguest for wasip1 with extra flags.
func buildGuest(t *testing.T, flags ...string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "guest.wasm")
	args := append([]string{"build", "-trimpath", "-o", out}, flags...)
	args = append(args, "./internal/testguest")
	cmd := exec.Command("go", args...)
	cmd.Dir = filepath.Join(repoRoot, "fn")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", flags, err, b)
	}
	m, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWasmShapes(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Wasm modules")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hamlet"))
	}))
	t.Cleanup(upstream.Close)
	allowed := strings.TrimPrefix(upstream.URL, "http://")

	cache := t.TempDir()
	if dir, err := os.UserCacheDir(); err == nil {
		// Compiled modules keyed by digest: unchanged guests are not
		// compiled again on the next run.
		cache = filepath.Join(dir, "faas-wasm", "fn-test-engine-cache")
	}
	engine, err := wasm.NewEngine(cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = engine.Close() })

	command := buildGuest(t)
	reactor := buildGuest(t, "-buildmode=c-shared", "-tags=faasreactor")
	snap, err := snapshot.Snapshot(ctx, reactor)
	if err != nil {
		t.Fatal(err)
	}
	shapes := []struct {
		name      string
		module    []byte
		mode      wasm.Mode
		wantShape wasm.Shape
	}{
		{"command", command, wasm.ModeFresh, wasm.ShapeCommand},
		{"reactor fresh", reactor, wasm.ModeFresh, wasm.ShapeReactor},
		{"reactor warm", reactor, wasm.ModeWarm, wasm.ShapeReactor},
		{"snapshot", snap, wasm.ModeFresh, wasm.ShapeSnapshot},
	}
	for _, sh := range shapes {
		t.Run(sh.name, func(t *testing.T) {
			m, err := engine.Compile(ctx, sh.module)
			if err != nil {
				t.Fatal(err)
			}
			if m.Shape() != sh.wantShape {
				t.Fatalf("shape %v, want %v", m.Shape(), sh.wantShape)
			}
			f, err := engine.NewFunction(m, wasm.Config{
				Name: "testguest", Env: map[string]string{"FUNCTION_VAR": "from-config"},
				AllowedHosts: []string{allowed}, Mode: sh.mode, MaxConcurrency: 1,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.Close() })
			checkGuest(ctx, t, f, upstream.URL)
			if sh.mode == wasm.ModeWarm {
				checkWarmHeapFlat(ctx, t, f)
			}
			checkSecrets(ctx, t, engine, m, sh.mode)
		})
	}
}

// checkSecrets: fn.Secret reads a secret of a function with secrets, and
// answers "secret NAME not found" for one it does not have, beside others
// or with no secrets at all (no preopen: no filesystem).
func checkSecrets(ctx context.Context, t *testing.T, engine *wasm.Engine, m *wasm.Module, mode wasm.Mode) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api-key"), []byte("s3cr3t"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dir, secret string
		want              echo
	}{
		{"secret", dir, "api-key", echo{Secret: "s3cr3t"}},
		{"missing secret beside others", dir, "missing", echo{SecretError: "secret missing not found"}},
		{"no secrets at all", "", "api-key", echo{SecretError: "secret api-key not found"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := engine.NewFunction(m, wasm.Config{Name: "testguest", SecretsDir: c.dir, Mode: mode, MaxConcurrency: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			resp, err := f.Invoke(ctx, &wasm.Request{Method: "GET", Path: "/", RawQuery: "secret=" + c.secret})
			if err != nil {
				t.Fatal(err)
			}
			var got echo
			if err := json.Unmarshal(resp.Body, &got); err != nil {
				t.Fatalf("%v: %s", err, resp.Body)
			}
			if got.Secret != c.want.Secret || got.SecretError != c.want.SecretError {
				t.Errorf("secret %q, error %q; want %q, %q", got.Secret, got.SecretError, c.want.Secret, c.want.SecretError)
			}
		})
	}
}

// checkWarmHeapFlat is the regression test for a leak of warm instances:
// the SDK unset the last call's variables and set the new ones, and Go
// never reuses an unset variable's slot, so every call grew the guest's
// environment table. Thousands of calls with changing headers must leave
// the guest's heap where it was.
func checkWarmHeapFlat(ctx context.Context, t *testing.T, f *wasm.Function) {
	t.Helper()
	heap := func() uint64 {
		resp, err := f.Invoke(ctx, &wasm.Request{Method: "GET", Path: "/", RawQuery: "heap=1"})
		if err != nil {
			t.Fatal(err)
		}
		var e echo
		if err := json.Unmarshal(resp.Body, &e); err != nil || e.HeapBytes == 0 {
			t.Fatalf("heap answer %s: %v", resp.Body, err)
		}
		return e.HeapBytes
	}
	calls := func(n int) {
		for i := range n {
			h := http.Header{}
			h.Set(fmt.Sprintf("X-Call-%d", i%7), strings.Repeat("v", 64))
			if _, err := f.Invoke(ctx, &wasm.Request{Method: "POST", Path: "/p", Header: h, Body: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
	}
	calls(200)
	before := heap()
	calls(3000)
	if after := heap(); after > before+256<<10 {
		t.Errorf("warm instance heap grew from %d to %d bytes over 3000 calls: a per-call leak", before, after)
	}
}

func checkGuest(ctx context.Context, t *testing.T, f *wasm.Function, upstream string) {
	header := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	fetchedHamlet := func(t *testing.T, e echo) {
		if e.Fetched != "200 OK hamlet" || e.FetchError != "" {
			t.Errorf("fetched %q, error %q", e.Fetched, e.FetchError)
		}
	}
	tests := []struct {
		name       string
		req        wasm.Request
		wantStatus int
		want       echo
		check      func(t *testing.T, e echo)
	}{
		{
			name: "request reaches the handler",
			req: wasm.Request{Method: "POST", Path: "/sub/path", RawQuery: "x=1&y=two", Host: "gw.local",
				Header: header("X-Test", "hello", "Content-Type", "text/plain"), Body: []byte("payload")},
			wantStatus: 200,
			want: echo{Method: "POST", Path: "/sub/path", Query: "x=1&y=two", Host: "gw.local", XTest: "hello",
				ContentType: "text/plain", Body: "payload", EnvPath: "/sub/path", EnvXTest: "hello", EnvFunction: "from-config"},
		},
		{
			name:       "headers of the previous request do not leak",
			req:        wasm.Request{Method: "GET", Path: "/again"},
			wantStatus: 200,
			want:       echo{Method: "GET", Path: "/again", EnvPath: "/again", EnvFunction: "from-config"},
		},
		{
			name:       "status",
			req:        wasm.Request{Method: "GET", Path: "/", RawQuery: "status=201"},
			wantStatus: 201,
			want:       echo{Method: "GET", Path: "/", Query: "status=201", EnvPath: "/", EnvFunction: "from-config"},
		},
		{
			name:       "outbound http to an allowed host",
			req:        wasm.Request{Method: "GET", Path: "/", RawQuery: "fetch=" + upstream + "/hamlet.txt"},
			wantStatus: 200,
			check:      fetchedHamlet,
		},
		{
			name:       "outbound http with a client of its own",
			req:        wasm.Request{Method: "GET", Path: "/", RawQuery: "client=own&fetch=" + upstream + "/hamlet.txt"},
			wantStatus: 200,
			check:      fetchedHamlet,
		},
		{
			name:       "outbound http to a denied host",
			req:        wasm.Request{Method: "GET", Path: "/", RawQuery: "fetch=http://127.0.0.2:9/x"},
			wantStatus: 200,
			check: func(t *testing.T, e echo) {
				if e.Fetched != "" || !strings.Contains(e.FetchError, "faas_http refused") {
					t.Errorf("fetched %q, error %q", e.Fetched, e.FetchError)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := f.Invoke(ctx, &tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != tt.wantStatus || resp.Header.Get("X-Guest") != "fn" || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d header %v body %s", resp.Status, resp.Header, resp.Body)
			}
			if resp.Header.Get("X-Duration-Seconds") == "" {
				t.Error("no X-Duration-Seconds")
			}
			var got echo
			if err := json.Unmarshal(resp.Body, &got); err != nil {
				t.Fatalf("%v: %s", err, resp.Body)
			}
			if tt.check != nil {
				tt.check(t, got)
				return
			}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	t.Run("health", func(t *testing.T) {
		resp, err := f.Invoke(ctx, &wasm.Request{Method: "GET", Path: "/_/health"})
		if err != nil || resp.Status != 200 || string(resp.Body) != "OK" {
			t.Fatalf("%v %+v", err, resp)
		}
	})
	t.Run("handler panic is a failed call", func(t *testing.T) {
		_, err := f.Invoke(ctx, &wasm.Request{Method: "GET", Path: "/", RawQuery: "panic=1"})
		var exit *wasm.ExitError
		var trap *wasm.TrapError
		if !errors.As(err, &exit) && !errors.As(err, &trap) {
			t.Fatalf("err = %v, want an exit or trap error", err)
		}
	})
}
