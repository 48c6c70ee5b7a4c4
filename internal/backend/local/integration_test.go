package local

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/leaktest"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/registry"
)

// shared holds what integration tests build once: the echo module compiled
// from testdata/echo with GOOS=wasip1, and one engine whose AOT cache lives
// in a temporary directory removed by TestMain.
var shared struct {
	once   sync.Once
	dir    string
	module []byte
	engine *wasm.Engine
	err    error
}

// TestMain closes the shared engine after the tests, then checks that no
// goroutine they started still runs (internal/leaktest).
func TestMain(m *testing.M) {
	leaktest.Main(m, func() {
		if shared.engine != nil {
			shared.engine.Close()
		}
		if shared.dir != "" {
			os.RemoveAll(shared.dir)
		}
	})
}

// realEngine builds the echo module and the engine, once per test binary.
func realEngine(t testing.TB) ([]byte, *wasm.Engine) {
	t.Helper()
	shared.once.Do(func() {
		if shared.dir, shared.err = os.MkdirTemp("", "local-test-"); shared.err != nil {
			return
		}
		out := filepath.Join(shared.dir, "echo.wasm")
		cmd := exec.Command("go", "build", "-o", out, "./testdata/echo")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			shared.err = err
			log.Printf("go build testdata/echo: %s", b)
			return
		}
		if shared.module, shared.err = os.ReadFile(out); shared.err != nil {
			return
		}
		shared.engine, shared.err = wasm.NewEngine(filepath.Join(shared.dir, "cache"), wasm.WithLogger(discardLogger()))
	})
	if shared.err != nil {
		t.Fatalf("building the echo module and engine: %v", shared.err)
	}
	return shared.module, shared.engine
}

// push builds a Wasm image of module in form and pushes it to ref.
func push(t *testing.T, module []byte, form oci.WasmForm, ref string) {
	t.Helper()
	img, err := oci.WasmImage(module, form)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oci.Push(ctx, img, ref); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

// serve puts a function behind a real loopback HTTP server, asking the
// backend for the function's handler on every request as the HTTP layer does.
func serve(t *testing.T, b *Host, name string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, err := b.Invoker(r.Context(), name, "")
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t *testing.T, method, url, body string) (int, string, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp.Header
}

func TestWasmFunctionsEndToEnd(t *testing.T) {
	module, engine := realEngine(t)
	reg := ocitest.NewRegistry(t)
	push(t, module, oci.FormOCILayer, reg+"/fn/echo:1")
	push(t, module, oci.FormArtifact, reg+"/fn/echo-artifact:1")
	push(t, []byte("\x00asm\x01\x00\x00\x00"), oci.FormOCILayer, reg+"/fn/empty:1")
	push(t, []byte("not wasm at all"), oci.FormArtifact, reg+"/fn/junk:1")
	ctr, err := oci.ContainerImage([]byte("#!/bin/sh\n"), oci.ContainerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oci.Push(ctx, ctr, reg+"/fn/web:1"); err != nil {
		t.Fatal(err)
	}

	b, err := New(ctx, t.TempDir(), engine, WithLogger(discardLogger()), WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(ctx) })
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "api-key", Value: "s3cret"}), nil)

	for _, image := range []string{"/fn/echo:1", "/fn/echo-artifact:1"} {
		name := strings.TrimSuffix(strings.TrimPrefix(image, "/fn/"), ":1")
		t.Run("deploy and call "+name, func(t *testing.T) {
			wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: name, Image: reg + image,
				EnvVars: map[string]string{"GREETING": "hello"}, Secrets: []string{"api-key"}}), nil)
			url := serve(t, b, name)
			code, body, hdr := get(t, "POST", url+"/x?a=1", "ping")
			if code != 201 || body != "GREETING=hello METHOD=POST QUERY=a=1 BODY=ping" || hdr.Get("X-Echo") != "yes" {
				t.Fatalf("got %d %q %v", code, body, hdr)
			}
			if _, body, _ := get(t, "GET", url+"/secret/api-key", ""); body != "s3cret" {
				t.Fatalf("secret read %q", body)
			}
		})
	}
	url := serve(t, b, "echo")

	t.Run("secret update reaches new requests", func(t *testing.T) {
		wantErr(t, b.UpdateSecret(ctx, provider.Secret{Name: "api-key", Value: "rotated"}), nil)
		if _, body, _ := get(t, "GET", url+"/secret/api-key", ""); body != "rotated" {
			t.Fatalf("secret after update %q", body)
		}
	})

	t.Run("failures answer clearly and are logged", func(t *testing.T) {
		if code, body, _ := get(t, "GET", url+"/fail", ""); code != 500 || !strings.Contains(body, "code 3") {
			t.Fatalf("/fail: %d %q", code, body)
		}
		if code, body, _ := get(t, "GET", url+"/spin", ""); code != 504 || !strings.Contains(body, "timed out") {
			t.Fatalf("/spin: %d %q", code, body)
		}
		var found bool
		for _, m := range collect(t, b, provider.LogRequest{Name: "echo"}) {
			if m.Text == "failing on purpose" && strings.HasPrefix(m.Instance, "echo-") {
				found = true
			}
		}
		if !found {
			t.Fatal("the function's stderr line is not in its logs")
		}
		if code, _, _ := get(t, "POST", url+"/", "still fine"); code != 201 {
			t.Fatalf("function broken after failures: %d", code)
		}
	})

	t.Run("exec_timeout bounds a call, capped by the provider's timeout", func(t *testing.T) {
		for _, tc := range []struct{ name, execTimeout, want string }{
			{"echo-quick", "300ms", "timed out after 300ms"},
			{"echo-patient", "10", "timed out after 2s"},
		} {
			wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: tc.name, Image: reg + "/fn/echo:1",
				EnvVars: map[string]string{provider.EnvExecTimeout: tc.execTimeout}}), nil)
			if code, body, _ := get(t, "GET", serve(t, b, tc.name)+"/spin", ""); code != 504 || !strings.Contains(body, tc.want) {
				t.Errorf("%s (exec_timeout %s) /spin: %d %q, want 504 %q", tc.name, tc.execTimeout, code, body, tc.want)
			}
		}
	})

	t.Run("scale to zero and back", func(t *testing.T) {
		wantErr(t, b.Scale(ctx, "echo", "", 0), nil)
		_, err := b.Invoker(ctx, "echo", "")
		wantErr(t, err, provider.ErrUnavailable)
		start := time.Now()
		wantErr(t, b.Scale(ctx, "echo", "", 1), nil)
		t.Logf("Scale(0→1) of a compiled module took %v", time.Since(start))
		if code, _, _ := get(t, "POST", url+"/", "back"); code != 201 {
			t.Fatalf("after scale from zero: %d", code)
		}
		st, _ := b.Function(ctx, "echo", "")
		if st.AvailableReplicas != 1 {
			t.Fatalf("status %+v", st)
		}
	})

	for _, tc := range []struct {
		name, image string
		ann         map[string]string
		class       error
		inText      string
	}{
		{"image not found", reg + "/fn/nope:1", nil, provider.ErrImage, "not found"},
		{"registry unreachable", ocitest.ClosedAddr(t) + "/fn/echo:1", nil, provider.ErrImage, "unreachable"},
		{"container image without containerd", reg + "/fn/web:1", nil, provider.ErrNotImplemented, "containerd"},
		{"container image forced to wasm", reg + "/fn/web:1", map[string]string{provider.AnnotationRuntime: "wasm"}, provider.ErrImage, "not Wasm"},
		{"module without _start", reg + "/fn/empty:1", nil, provider.ErrImage, "_start"},
		{"warm mode on a command module", reg + "/fn/echo:1", map[string]string{provider.AnnotationWasmMode: "warm"}, provider.ErrInvalid, "reactor"},
		{"not a module", reg + "/fn/junk:1", nil, provider.ErrImage, "invalid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := b.Deploy(ctx, provider.FunctionDeployment{Service: "broken", Image: tc.image, Annotations: tc.ann})
			wantErr(t, err, tc.class)
			t.Log(err)
			if !strings.Contains(err.Error(), tc.inText) {
				t.Fatalf("error %q does not say %q", err, tc.inText)
			}
			if _, err := b.Function(ctx, "broken", ""); err == nil {
				t.Fatal("failed deploy left the function behind")
			}
			if code, _, _ := get(t, "POST", url+"/", "others"); code != 201 {
				t.Fatalf("echo stopped serving: %d", code)
			}
		})
	}
}

// TestWasmRestart restarts the backend on the same state directory: the
// function comes back from the module kept on disk with the registry gone,
// and when that copy is gone too it is kept and reported, not dropped.
// TestWasmSecretsOnlyWithSecrets: in local mode and in a WasmRunner (the
// Kubernetes provider's cold serve), a Wasm function with secrets lists
// them at /var/openfaas/secrets; one without gets no secrets directory, so
// no filesystem at all: listing there fails (Go's EBADF), even when the
// runner is handed a directory.
func TestWasmSecretsOnlyWithSecrets(t *testing.T) {
	module, engine := realEngine(t)
	reg := ocitest.NewRegistry(t)
	image := reg + "/fn/echo:1"
	push(t, module, oci.FormArtifact, image)
	const noFS = "open /var/openfaas/secrets: Bad file number"

	t.Run("local mode", func(t *testing.T) {
		b, err := New(ctx, t.TempDir(), engine, WithLogger(discardLogger()))
		wantErr(t, err, nil)
		t.Cleanup(func() { b.Close(ctx) })
		wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "api-key", Value: "s3cret"}), nil)
		wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: "with", Image: image, Secrets: []string{"api-key"}}), nil)
		wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: "without", Image: image}), nil)
		if code, body, _ := get(t, "GET", serve(t, b, "with")+"/secrets", ""); code != 200 || body != "api-key\n" {
			t.Errorf("with secrets: %d %q, want 200 \"api-key\\n\"", code, body)
		}
		if code, body, _ := get(t, "GET", serve(t, b, "without")+"/secrets", ""); code != 404 || body != noFS {
			t.Errorf("without secrets: %d %q, want 404 %q", code, body, noFS)
		}
		// An update that adds a secret gives the function its directory.
		wantErr(t, b.Update(ctx, provider.FunctionDeployment{Service: "without", Image: image, Secrets: []string{"api-key"}}), nil)
		if code, body, _ := get(t, "GET", serve(t, b, "without")+"/secrets", ""); code != 200 || body != "api-key\n" {
			t.Errorf("after an update adding a secret: %d %q, want 200 \"api-key\\n\"", code, body)
		}
	})

	t.Run("runner", func(t *testing.T) {
		r, err := NewWasmRunner(filepath.Join(shared.dir, "cache"), []wasm.Option{wasm.WithLogger(discardLogger())}, WithLogger(discardLogger()))
		wantErr(t, err, nil)
		t.Cleanup(func() { r.Close(ctx) })
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "api-key"), []byte("s3cret"), 0o600); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name     string
			secrets  []string
			wantCode int
			wantBody string
		}{
			{"with", []string{"api-key"}, 200, "api-key\n"},
			{"without", nil, 404, noFS},
		} {
			spec := provider.FunctionDeployment{Service: c.name, Namespace: "ns", Image: image, Secrets: c.secrets}
			wantErr(t, r.Load(ctx, spec, dir, func(string, string) {}), nil)
			h, err := r.Handler(c.name, "ns")
			wantErr(t, err, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/secrets", nil))
			if rec.Code != c.wantCode || rec.Body.String() != c.wantBody {
				t.Errorf("%s: %d %q, want %d %q", c.name, rec.Code, rec.Body, c.wantCode, c.wantBody)
			}
		}
	})
}

func TestWasmRestart(t *testing.T) {
	module, engine := realEngine(t)
	regSrv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	reg := strings.TrimPrefix(regSrv.URL, "http://")
	push(t, module, oci.FormOCILayer, reg+"/fn/echo:1")
	dir := t.TempDir()

	b, err := New(ctx, dir, engine, WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "team", Labels: map[string]string{"a": "b"}}), nil)
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "k", Namespace: "team", Value: "v1"}), nil)
	wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: "echo", Namespace: "team", Image: reg + "/fn/echo:1",
		Secrets: []string{"k"}, EnvVars: map[string]string{"GREETING": "again"}}), nil)
	wantErr(t, b.Scale(ctx, "echo", "team", 2), nil)
	before, _ := b.Function(ctx, "echo", "team")
	wantErr(t, b.Close(ctx), nil)
	regSrv.Close()

	b, err = New(ctx, dir, engine, WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.Function(ctx, "echo", "team")
	wantErr(t, err, nil)
	if st.Replicas != 2 || st.AvailableReplicas != 2 || !st.CreatedAt.Equal(before.CreatedAt) || st.EnvVars["GREETING"] != "again" {
		t.Fatalf("after restart: %+v", st)
	}
	if ns, err := b.Namespace(ctx, "team"); err != nil || ns.Labels["a"] != "b" {
		t.Fatalf("namespace after restart: %+v, %v", ns, err)
	}
	h, err := b.Invoker(ctx, "echo", "team")
	wantErr(t, err, nil)
	if code, body, _ := call(t, h, "GET", "/secret/k", ""); code != 200 || body != "v1" {
		t.Fatalf("after restart: %d %q", code, body)
	}
	wantErr(t, b.Close(ctx), nil)

	os.Remove(filepath.Join(dir, "wasm", "team", "echo.wasm"))
	b, err = New(ctx, dir, engine, WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(ctx) })
	st, err = b.Function(ctx, "echo", "team")
	wantErr(t, err, nil)
	if st.Replicas != 2 || st.AvailableReplicas != 0 {
		t.Fatalf("function with its image gone: %+v", st)
	}
	_, err = b.Invoker(ctx, "echo", "team")
	wantErr(t, err, provider.ErrUnavailable)
	lines := collect(t, b, provider.LogRequest{Name: "echo", Namespace: "team"})
	if len(lines) == 0 || !strings.Contains(lines[0].Text, "could not be started") {
		t.Fatalf("the failure is not reported in the function's logs: %+v", lines)
	}
	wantErr(t, b.Scale(ctx, "echo", "team", 1), provider.ErrImage)
}
