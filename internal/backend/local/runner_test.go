package local

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// helloModule is a WASI command answering 201 with text (2 bytes).
func helloModule(t *testing.T, text string) []byte {
	t.Helper()
	m, err := wasmtime.Wat2Wasm(fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Status: 201\n\n%s")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`, text))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runnerAnswer loads fn from image on r and returns what one call answers.
func runnerAnswer(t *testing.T, r *WasmRunner, fn, image string) string {
	t.Helper()
	wantErr(t, r.Load(ctx, provider.FunctionDeployment{Service: fn, Namespace: "ns", Image: image}, "", func(string, string) {}), nil)
	h, err := r.Handler(fn, "ns")
	wantErr(t, err, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusCreated {
		t.Fatalf("%s answered %d %q", fn, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// TestWasmRunnerModuleCache runs the runner against a real registry on
// loopback that counts its requests: a function of an image whose digest a
// function since unloaded had is loaded with one HEAD of the manifest, no
// manifest or blob read; after the tag moves, the new module is pulled and
// served; with a bound smaller than a module nothing idle is kept, so the
// image is pulled again.
func TestWasmRunnerModuleCache(t *testing.T) {
	host, counts := ocitest.NewCountingRegistry(t)
	image := host + "/fn/hello:1"
	push(t, helloModule(t, "v1"), oci.FormArtifact, image)
	r, err := NewWasmRunner(t.TempDir(), nil, WithLogger(discardLogger()))
	wantErr(t, err, nil)
	t.Cleanup(func() { r.Close(ctx) })

	if got := runnerAnswer(t, r, "a", image); got != "v1" {
		t.Fatalf("a answered %q", got)
	}
	wantErr(t, r.Unload(ctx, "a", "ns"), nil)
	counts.Reset()
	if got := runnerAnswer(t, r, "b", image); got != "v1" {
		t.Fatalf("b answered %q", got)
	}
	if counts.Count("HEAD manifest") != 1 || counts.Count("GET manifest") != 0 || counts.Count("GET blob") != 0 {
		t.Fatalf("load of a cached image sent %s, want one HEAD of the manifest", counts)
	}

	push(t, helloModule(t, "v2"), oci.FormArtifact, image)
	counts.Reset()
	if got := runnerAnswer(t, r, "c", image); got != "v2" {
		t.Fatalf("after the tag moved c answered %q, want the new module", got)
	}
	if counts.Count("GET blob") == 0 {
		t.Fatalf("the moved tag's module was not pulled: %s", counts)
	}

	small, err := NewWasmRunner(t.TempDir(), nil, WithLogger(discardLogger()), WithModuleCache(1))
	wantErr(t, err, nil)
	t.Cleanup(func() { small.Close(ctx) })
	runnerAnswer(t, small, "a", image)
	wantErr(t, small.Unload(ctx, "a", "ns"), nil)
	counts.Reset()
	runnerAnswer(t, small, "b", image)
	if counts.Count("GET blob") == 0 {
		t.Fatalf("an evicted module was not pulled again: %s", counts)
	}
	if n, _ := small.d.cache.stats(); n != 1 {
		t.Fatalf("cache of 1 byte holds %d modules, want only the one in use", n)
	}
}
