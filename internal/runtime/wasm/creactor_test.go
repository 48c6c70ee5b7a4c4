package wasm

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"
)

// TestCReactorWarm runs the C SDK's hello example built as a reactor
// (FW_REACTOR, clang -mexec-model=reactor) in warm mode with one slot:
// each call sees its own request and nothing of the one before (query,
// header, body), the function's own variable stays, a failing handler
// fails the call as it fails a command module (exit code 1 there,
// faas_handle's 1 here: a 500) and later calls still answer, and
// /_/health is answered by the SDK. That warm calls reuse the instance is
// the engine's, asserted with a counting guest by TestModesState.
func TestCReactorWarm(t *testing.T) {
	module, err := buildC(filepath.Join(cSDK, "examples", "hello.c"), "-mexec-model=reactor")
	if err != nil {
		t.Fatal(err)
	}
	f := deploy(t, module, Config{Mode: ModeWarm, MaxConcurrency: 1, Env: map[string]string{"greeting": "Hi"}})
	if f.module.Shape() != ShapeReactor {
		t.Fatalf("shape %v, want reactor", f.module.Shape())
	}
	for _, c := range []struct {
		method, path, query, callID, body string
		status                            int
		want                              string
	}{
		{"POST", "/fn/path", "name=ann", "c1", "hello", 200, "Hi, ann! POST /fn/path call=c1 body=hello\n"},
		{"GET", "/fn/path", "", "", "", 200, "Hi, world! GET /fn/path call=- body=\n"},
		{"GET", "/fail", "", "c3", "", 500, ""},
		{"GET", "/_/health", "", "", "", 200, "OK"},
		{"PUT", "/again", "name=bob", "c5", "x", 200, "Hi, bob! PUT /again call=c5 body=x\n"},
	} {
		h := http.Header{}
		if c.callID != "" {
			h.Set("X-Call-Id", c.callID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		resp, err := f.Invoke(ctx, &Request{Method: c.method, Path: c.path, RawQuery: c.query, Host: "gw", Header: h, Body: []byte(c.body)})
		cancel()
		if c.status == 500 {
			if err == nil || ErrorStatus(err) != 500 {
				t.Errorf("%s %s: %v, want a failed call (500)", c.method, c.path, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if resp.Status != c.status || string(resp.Body) != c.want || resp.Header.Get("X-Duration-Seconds") == "" {
			t.Errorf("%s %s?%s: %d %q %v, want %d %q", c.method, c.path, c.query, resp.Status, resp.Body, resp.Header, c.status, c.want)
		}
	}
}
