package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/provider"
)

// fakeBackend holds functions in memory for the console's own logic; the
// browser tests (test/console) run the console over the real local backend.
type fakeBackend struct {
	provider.Backend // methods the console does not call panic
	mu               sync.Mutex
	fns              map[string][]provider.FunctionStatus // namespace → functions
	scales           []string
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{fns: map[string][]provider.FunctionStatus{
		"openfaas-fn": {
			{Name: "aes", Image: "reg/aes:1", Namespace: "openfaas-fn", Replicas: 1, AvailableReplicas: 1, Annotations: map[string]string{}},
			{Name: "aes-wasm", Image: "reg/aes-wasm:1", Namespace: "openfaas-fn", Replicas: 2, AvailableReplicas: 2,
				Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}},
		},
		"team": {{Name: "slow", Image: "reg/slow:1", Namespace: "team", Replicas: 1, AvailableReplicas: 1, Annotations: map[string]string{}}},
	}}
}

func (f *fakeBackend) Namespaces(context.Context) ([]string, error) {
	return []string{"openfaas-fn", "team"}, nil
}

func (f *fakeBackend) Functions(_ context.Context, ns string) ([]provider.FunctionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fns, ok := f.fns[ns]
	if !ok {
		return nil, fmt.Errorf("namespace %s: %w", ns, provider.ErrNotFound)
	}
	return slices.Clone(fns), nil
}

func (f *fakeBackend) Function(_ context.Context, name, ns string) (provider.FunctionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.fns[ns] {
		if s.Name == name {
			return s, nil
		}
	}
	return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
}

func (f *fakeBackend) Scale(_ context.Context, name, ns string, n uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scales = append(f.scales, fmt.Sprintf("%s.%s=%d", name, ns, n))
	for i, s := range f.fns[ns] {
		if s.Name == name {
			f.fns[ns][i].Replicas, f.fns[ns][i].AvailableReplicas = n, n
			return nil
		}
	}
	return fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
}

// functionsServer answers /function/NAME.NS like the provider: aes in
// 1 ms, aes-wasm at once, slow in 200 ms, and "fail" with 500.
func functionsServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/function/aes.openfaas-fn/"):
			time.Sleep(time.Millisecond)
		case strings.HasPrefix(r.URL.Path, "/function/slow.team/"):
			select {
			case <-time.After(200 * time.Millisecond):
			case <-r.Context().Done():
			}
		case strings.HasPrefix(r.URL.Path, "/function/aes-wasm.openfaas-fn/"):
		default:
			http.Error(w, "no such function", http.StatusNotFound)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newConsole(t *testing.T, b provider.Backend, base string, limits Limits) *Console {
	t.Helper()
	c, err := New(b, Options{
		ProviderURL: base,
		Limits:      limits,
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Inspect: func(_ context.Context, image string) (ImageInfo, error) {
			if strings.Contains(image, "wasm") {
				return ImageInfo{Kind: provider.RuntimeWasm, Size: 2 << 20}, nil
			}
			if strings.Contains(image, "slow") {
				return ImageInfo{}, errors.New("registry unreachable")
			}
			return ImageInfo{Kind: provider.RuntimeContainer, Size: 20 << 20}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func do(t *testing.T, h http.Handler, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
	return rec
}

func TestServesPageAndAssets(t *testing.T) {
	c := newConsole(t, newFakeBackend(), "http://127.0.0.1:1", Limits{})
	for _, path := range []string{"/ui/", "/ui/functions/openfaas-fn/aes", "/ui/compare?a=x", "/ui/deploy"} {
		rec := do(t, c, http.MethodGet, path, "")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `<script type="module" src="/ui/assets/app.js">`) {
			t.Fatalf("GET %s = %d %q, want the page", path, rec.Code, rec.Body.String())
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("GET %s: CSP %q", path, csp)
		}
	}
	for path, ctype := range map[string]string{"/ui/assets/app.js": "javascript", "/ui/assets/app.css": "text/css", "/ui/assets/charts.js": "javascript"} {
		rec := do(t, c, http.MethodGet, path, "")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), ctype) {
			t.Errorf("GET %s = %d %s", path, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
	if rec := do(t, c, http.MethodGet, "/ui", ""); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/ui/" {
		t.Errorf("GET /ui = %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if rec := do(t, c, http.MethodGet, "/ui/assets/nope.js", ""); rec.Code != http.StatusNotFound {
		t.Errorf("missing asset = %d", rec.Code)
	}
	if rec := do(t, c, http.MethodPost, "/ui/", ""); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /ui/ = %d", rec.Code)
	}
	if rec := do(t, c, http.MethodGet, "/ui/api/nope", ""); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no such console route") {
		t.Errorf("unknown API = %d %q", rec.Code, rec.Body.String())
	}
}

// TestAssetsUseNoOtherOrigin keeps the console offline-capable: no
// absolute URL to another site in any embedded file.
func TestAssetsUseNoOtherOrigin(t *testing.T) {
	entries, err := assets.ReadDir("assets")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := assets.ReadFile("assets/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		for _, scheme := range []string{"http://", "https://", "//cdn"} {
			s := strings.ReplaceAll(string(b), "http://www.w3.org/2000/svg", "")
			if strings.Contains(s, scheme) {
				t.Errorf("%s refers to %s…", e.Name(), scheme)
			}
		}
	}
}

func TestListFunctions(t *testing.T) {
	c := newConsole(t, newFakeBackend(), "http://127.0.0.1:1", Limits{})
	var all []Function
	rec := do(t, c, http.MethodGet, "/ui/api/functions", "")
	if err := json.Unmarshal(rec.Body.Bytes(), &all); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("list = %d %q %v", rec.Code, rec.Body.String(), err)
	}
	got := map[string]string{}
	for _, f := range all {
		got[f.Name+"."+f.Namespace] = fmt.Sprintf("%s %d", f.Kind, f.ArtifactBytes)
	}
	want := map[string]string{
		"aes.openfaas-fn":      "container 20971520",
		"aes-wasm.openfaas-fn": "wasm 2097152",
		"slow.team":            " 0", // the registry did not answer: unknown
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("functions = %v, want %v", got, want)
	}
	rec = do(t, c, http.MethodGet, "/ui/api/functions?namespace=team", "")
	if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), "aes") {
		t.Errorf("namespace filter = %d %q", rec.Code, rec.Body.String())
	}
	rec = do(t, c, http.MethodGet, "/ui/api/functions?namespace=nope", "")
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "nope") {
		t.Errorf("unknown namespace = %d %q", rec.Code, rec.Body.String())
	}
}

func TestParseStackEndpoint(t *testing.T) {
	c := newConsole(t, newFakeBackend(), "http://127.0.0.1:1", Limits{})
	rec := do(t, c, http.MethodPost, "/ui/api/stack", "functions:\n  b:\n    image: ${REG:-r}/b:1\n  a:\n    image: r/a:1\n    annotations: {com.openfaas.runtime: wasm}\n")
	var got []provider.FunctionDeployment
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
		t.Fatalf("stack = %d %q %v", rec.Code, rec.Body.String(), err)
	}
	if len(got) != 2 || got[0].Service != "a" || got[1].Image != "r/b:1" || got[0].Annotations[provider.AnnotationRuntime] != "wasm" {
		t.Errorf("deployments = %+v", got)
	}
	rec = do(t, c, http.MethodPost, "/ui/api/stack", "functions: [\n")
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "invalid stack file") {
		t.Errorf("bad yaml = %d %q", rec.Code, rec.Body.String())
	}
	rec = do(t, c, http.MethodPost, "/ui/api/stack", strings.Repeat("#", 2<<20))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB stack = %d %q", rec.Code, rec.Body.String())
	}
}

// TestRouterServesConsoleBehindAuth mounts the console in the provider's
// router: /ui/ asks for the /system credentials.
func TestRouterServesConsoleBehindAuth(t *testing.T) {
	b := newFakeBackend()
	c := newConsole(t, b, "http://127.0.0.1:1", Limits{})
	r := handlers.NewRouter(b, handlers.Config{Auth: &handlers.Credentials{User: "admin", Password: "pw"}, Console: c})
	for _, path := range []string{"/ui", "/ui/", "/ui/api/functions", "/ui/assets/app.js"} {
		if rec := do(t, r, http.MethodGet, path, ""); rec.Code != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials = %d, want 401", path, rec.Code)
		}
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.SetBasicAuth("admin", "pw")
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK && rec.Code != http.StatusMovedPermanently {
			t.Errorf("GET %s with credentials = %d", path, rec.Code)
		}
	}
	if rec := do(t, handlers.NewRouter(b, handlers.Config{}), http.MethodGet, "/ui/", ""); rec.Code != http.StatusNotFound {
		t.Errorf("router without console: /ui/ = %d, want 404", rec.Code)
	}
}
