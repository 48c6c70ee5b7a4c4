package handlers

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
	"github.com/faas-wasm/faas-wasm/provider"
)

// testEnv is a router over a fake backend served on a loopback httptest server.
type testEnv struct {
	t   *testing.T
	fb  *fakeBackend
	srv *httptest.Server
	log *syncbuf.Buffer
}

func newEnv(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	e := &testEnv{t: t, fb: newFakeBackend(), log: &syncbuf.Buffer{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(e.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	e.srv = httptest.NewServer(NewRouter(e.fb, cfg))
	t.Cleanup(e.srv.Close)
	return e
}

// do sends a request and returns the response with its body read.
func (e *testEnv) do(method, path, body string, header ...string) (*http.Response, string) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp, string(b)
}

// deploy puts a function straight into the fake backend.
func (e *testEnv) deploy(name, ns string, labels map[string]string) {
	e.t.Helper()
	if ns == "" {
		ns = provider.DefaultNamespace
	}
	if _, ok := e.fb.namespaces[ns]; !ok {
		e.fb.namespaces[ns] = provider.FunctionNamespace{Name: ns}
	}
	if err := e.fb.store(provider.FunctionDeployment{Service: name, Image: "registry/" + name + ":1", Namespace: ns, Labels: labels}); err != nil {
		e.t.Fatal(err)
	}
}

// eventually polls cond until it holds or d passes.
func eventually(t *testing.T, d time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}
