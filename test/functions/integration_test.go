package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// studyInputs are the query strings of the study (paper.md).
var studyInputs = []struct{ name, query string }{
	{"aes", "length=1000&iterations=100"},
	{"float-operation", "n=10000000"},
	{"linear-equations", "unknowns=128"},
	{"matmul", "dimensions=50"},
	{"fuzzysearch", "search=Hamlet"},
	{"n-body", ""},
	{"prime-numbers", "n=100"},
	{"whatlang", "text=" + url.QueryEscape("The quick brown fox jumps over the lazy dog")},
	{"user-manager", "entries=1"},
}

// repoRoot is the repository root, where functions/ lives.
const repoRoot = "../.."

// env are the variables the functions need, pointing at loopback services.
type env struct {
	vars    map[string]string
	allowed []string
}

// TestNativeAndWasmAgree builds every study function in its four variants
// — Go native, Go Wasm (command and snapshot shapes), Rust native and Rust
// Wasm (command, and reactor in warm mode) — and expects all of them to answer the study's input byte for byte
// as the Go native binary does. Native binaries run as real processes,
// modules through runtime/wasm; fuzzysearch and user-manager reach a Hamlet
// server and the user store.
func TestNativeAndWasmAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and compiles 9 functions in four variants")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	t.Cleanup(cancel)
	e := startServices(ctx, t)
	// The command shape and the snapshot (a pre-initialised reactor). fn's
	// own tests cover every shape and mode with a test guest.
	shapes := []builder.Shape{builder.ShapeCommand, builder.ShapeSnapshot}
	b := builder.New()
	engine, err := wasm.NewEngine(engineCache(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = engine.Close() })
	for _, in := range studyInputs {
		t.Run(in.name, func(t *testing.T) {
			pkg := "./functions/go/" + in.name
			bin, err := b.Native(ctx, repoRoot, pkg, "")
			if err != nil {
				t.Fatal(err)
			}
			base := startNative(t, bin, e.vars)
			start := time.Now()
			native := get(t, base+"/?"+in.query)
			nativeTook := time.Since(start)
			for _, shape := range shapes {
				module, _, err := b.Wasm(ctx, repoRoot, pkg, shape)
				if err != nil {
					t.Fatal(err)
				}
				m, err := engine.Compile(ctx, module)
				if err != nil {
					t.Fatal(err)
				}
				f, err := engine.NewFunction(m, wasm.Config{Name: in.name, Env: e.vars, AllowedHosts: e.allowed})
				if err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				resp, err := f.Invoke(ctx, &wasm.Request{Method: http.MethodGet, Path: "/", RawQuery: in.query, Host: "gateway"})
				took := time.Since(start)
				_ = f.Close()
				if err != nil {
					t.Fatalf("%s: %v", shape, err)
				}
				if resp.Status != http.StatusOK || resp.Header.Get("X-Duration-Seconds") == "" {
					t.Fatalf("%s: status %d headers %v body %s", shape, resp.Status, resp.Header, resp.Body)
				}
				if string(resp.Body) != native {
					t.Errorf("%s output differs from native:\nwasm:   %s\nnative: %s", shape, resp.Body, native)
				}
				t.Logf("%s: native %v, wasm %s %v (one call, module %d bytes)", in.name, nativeTook.Round(time.Microsecond), shape, took.Round(time.Microsecond), len(module))
			}
			checkRustVariants(ctx, t, b, engine, e, in.name, in.query, native)
		})
	}
	rustWasmCalls := 0
	for _, v := range rustWasmVariants {
		rustWasmCalls += v.calls
	}
	checkStoredUsers(t, e, 1+len(shapes)+1+rustWasmCalls)
}

// checkRustVariants builds functions/rust/NAME both ways (rust-faaswasm)
// and expects the static binary, run as a real process, and the wasm32-wasi
// modules (rustWasmVariants), run through runtime/wasm, to answer query byte for byte as the Go
// native binary did (want).
func checkRustVariants(ctx context.Context, t *testing.T, b *builder.Builder, engine *wasm.Engine, e env, name, query, want string) {
	t.Helper()
	fn := builder.Function{Lang: string(builder.LangRust), Handler: "./functions/rust/" + name, Image: "x/" + name + "-rs"}
	native, err := b.Build(ctx, repoRoot, name+"-rs", fn)
	if err != nil {
		t.Fatal(err)
	}
	base := startNative(t, native.Raw, e.vars)
	if got := get(t, base+"/?"+query); got != want {
		t.Errorf("Rust native output differs from Go native:\nrust: %s\ngo:   %s", got, want)
	}
	for _, v := range rustWasmVariants {
		fn.Annotations = map[string]string{builder.RuntimeAnnotation: "wasm", builder.ShapeAnnotation: string(v.shape)}
		module, err := b.Build(ctx, repoRoot, name+"-rs-wasm", fn)
		if err != nil {
			t.Fatal(err)
		}
		m, err := engine.Compile(ctx, module.Raw)
		if err != nil {
			t.Fatal(err)
		}
		f, err := engine.NewFunction(m, wasm.Config{Name: name + "-rs-wasm", Env: e.vars, AllowedHosts: e.allowed, Mode: v.mode, MaxConcurrency: 1})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		for call := range v.calls {
			resp, err := f.Invoke(ctx, &wasm.Request{Method: http.MethodGet, Path: "/", RawQuery: query, Host: "gateway"})
			if err != nil {
				t.Fatalf("rust wasm %s call %d: %v", v.name, call+1, err)
			}
			if resp.Status != http.StatusOK || resp.Header.Get("X-Duration-Seconds") == "" {
				t.Fatalf("rust wasm %s call %d: status %d headers %v body %s", v.name, call+1, resp.Status, resp.Header, resp.Body)
			}
			if string(resp.Body) != want {
				t.Errorf("Rust Wasm %s call %d output differs from Go native:\nrust wasm: %s\ngo:        %s", v.name, call+1, resp.Body, want)
			}
		}
		t.Logf("%s: Rust binary %d bytes (image %d), %s module %d bytes (image %d)", name, len(native.Raw), native.Size, v.name, len(module.Raw), module.Size)
	}
}

// rustWasmVariants are the ways checkRustVariants runs a Rust function's
// module: the command module, and the reactor (its library) in warm mode
// with one slot, called twice so that the second call runs on the first
// call's instance (the engine's warm reuse is asserted by
// internal/runtime/wasm's TestModesState).
var rustWasmVariants = []struct {
	name  string
	shape builder.Shape
	mode  wasm.Mode
	calls int
}{
	{"command", builder.ShapeCommand, wasm.ModeFresh, 1},
	{"warm reactor", builder.ShapeReactor, wasm.ModeWarm, 2},
}

// engineCache returns a compiled-module cache that survives test runs (under
// the user's cache directory, keyed by module digest), so unchanged modules
// are not compiled again; a temporary directory when there is no cache
// directory.
func engineCache(t testing.TB) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return t.TempDir()
	}
	return filepath.Join(dir, "faas-wasm", "functions-test-engine-cache")
}

// startServices serves Hamlet on loopback and starts the user store (with a
// private PostgreSQL) when this machine has PostgreSQL, else an in-memory
// stand-in. It returns the functions' environment.
func startServices(ctx context.Context, t *testing.T) env {
	t.Helper()
	text, err := os.ReadFile(filepath.Join(repoRoot, "functions", "testdata", "hamlet.txt"))
	if err != nil {
		t.Fatal(err)
	}
	hamlet := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write(text)
	}))
	t.Cleanup(hamlet.Close)
	users := startUserStore(ctx, t)
	hosts := []string{strings.TrimPrefix(hamlet.URL, "http://"), strings.TrimPrefix(users, "http://")}
	return env{
		vars:    map[string]string{"HAMLET_URL": hamlet.URL + "/hamlet.txt", "USER_API_URL": users + "/users"},
		allowed: hosts,
	}
}

// startUserStore builds and runs functions/services/userstore with -pgdata
// in a temporary directory and returns its base URL. It needs Debian's
// PostgreSQL 15 (make test installs it).
func startUserStore(ctx context.Context, t *testing.T) string {
	t.Helper()
	bin, err := builder.New().Native(ctx, repoRoot, "./functions/services/userstore", "")
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "functions-userstore-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(t.TempDir(), "userstore")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(path, "-addr", addr, "-pgdata", dir)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, cmd) })
	base := "http://" + addr
	waitReady(t, base+"/healthz", 60*time.Second)
	return base
}

// checkStoredUsers checks that user-manager's records (one native, one per
// Wasm shape) reached PostgreSQL through the store.
func checkStoredUsers(t *testing.T, e env, records int) {
	base := strings.TrimSuffix(e.vars["USER_API_URL"], "/users")
	var first map[string]any
	for id := 1; id <= records; id++ {
		var u map[string]any
		if err := json.Unmarshal([]byte(get(t, fmt.Sprintf("%s/users/%d", base, id))), &u); err != nil {
			t.Fatal(err)
		}
		if id == 1 {
			first = u
			continue
		}
		if u["email"] != first["email"] || u["first_name"] != first["first_name"] {
			t.Errorf("user %d %v differs from user 1 %v (same seed)", id, u, first)
		}
	}
}

// startNative runs a function binary on a free loopback port and returns its
// base URL; t.Cleanup sends SIGTERM and expects a clean exit.
func startNative(t testing.TB, bin []byte, vars map[string]string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "function")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(path)
	cmd.Env = append(os.Environ(), "PORT="+port)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop(t, cmd) })
	base := "http://" + addr
	waitReady(t, base+"/_/health", 30*time.Second)
	return base
}

// stop sends SIGTERM and waits; a non-zero exit fails the test.
func stop(t testing.TB, cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s exited with %v after SIGTERM", filepath.Base(cmd.Path), err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("%s ignored SIGTERM", filepath.Base(cmd.Path))
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitReady(t testing.TB, u string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready after %v", u, limit)
}

func get(t testing.TB, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Duration-Seconds") == "" && !strings.Contains(u, "/users/") {
		t.Fatalf("GET %s: %d %v %s", u, resp.StatusCode, resp.Header, b)
	}
	return string(b)
}
