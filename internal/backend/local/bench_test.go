package local

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// benchBackend deploys n functions with realistic specs on a fake driver.
func benchBackend(b *testing.B, n int) *Host {
	b.Helper()
	o := defaultOptions()
	o.log = discardLogger()
	inspect := func(context.Context, string) (string, error) { return provider.RuntimeWasm, nil }
	be, err := newBackend(context.Background(), b.TempDir(), newFakeRunner(), inspect, o)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close(context.Background()) })
	for i := range n {
		d := provider.FunctionDeployment{
			Service: fmt.Sprintf("fn-%04d", i), Image: "registry.local/fn:1",
			EnvVars:     map[string]string{"A": "1", "B": "2", "write_debug": "true"},
			Labels:      map[string]string{"team": "t", provider.LabelScaleMax: "5"},
			Annotations: map[string]string{"topic": "x", provider.AnnotationRuntime: "wasm"},
			Limits:      &provider.FunctionResources{Memory: "128Mi"},
			Constraints: []string{"node=a"},
		}
		if err := be.Deploy(context.Background(), d); err != nil {
			b.Fatal(err)
		}
	}
	return be
}

func BenchmarkList1000(b *testing.B) {
	be := benchBackend(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		list, err := be.Functions(context.Background(), "")
		if err != nil || len(list) != 1000 {
			b.Fatalf("%d functions, %v", len(list), err)
		}
	}
}

func BenchmarkFunctionStatus1000(b *testing.B) {
	be := benchBackend(b, 1000)
	b.ResetTimer()
	for b.Loop() {
		if _, err := be.Function(context.Background(), "fn-0500", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvoke compares one call of the echo module through the
// backend's handler with the same call made on the engine directly.
func BenchmarkInvoke(b *testing.B) {
	module, engine := realEngine(b)
	be, err := New(context.Background(), b.TempDir(), engine, WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close(context.Background()) })
	w := be.wasm.(*wasmDriver)
	w.src.resolve = func(context.Context, string) (string, string, error) { return "sha256:echo", "echo@sha256:echo", nil }
	w.src.pull = func(context.Context, string) (pulledModule, error) {
		return pulledModule{module: module, digest: "sha256:echo"}, nil
	}
	d := provider.FunctionDeployment{Service: "echo", Image: "echo", Annotations: map[string]string{provider.AnnotationRuntime: "wasm"}}
	if err := be.Deploy(context.Background(), d); err != nil {
		b.Fatal(err)
	}
	b.Run("backend handler", func(b *testing.B) {
		for b.Loop() {
			h, err := be.Invoker(context.Background(), "echo", "")
			if err != nil {
				b.Fatal(err)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader("ping")))
			if rec.Code != 201 {
				b.Fatalf("status %d", rec.Code)
			}
		}
	})
	b.Run("engine direct", func(b *testing.B) {
		m, err := engine.Compile(context.Background(), module)
		if err != nil {
			b.Fatal(err)
		}
		fn, err := engine.NewFunction(m, wasm.Config{Name: "echo"})
		if err != nil {
			b.Fatal(err)
		}
		defer fn.Close()
		for b.Loop() {
			resp, err := fn.Invoke(context.Background(), &wasm.Request{Method: "POST", Path: "/", Body: []byte("ping")})
			if err != nil || resp.Status != 201 {
				b.Fatalf("%v %v", resp, err)
			}
		}
	})
}
