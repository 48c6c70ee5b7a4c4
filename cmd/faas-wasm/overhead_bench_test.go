package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/backend/local"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// BenchmarkInvokeOverhead measures what the provider adds to a Wasm
// invocation: the same echo module called directly through the engine
// ("direct") and through the provider's /function/ route over loopback HTTP
// ("provider"). The difference is the provider's overhead.
func BenchmarkInvokeOverhead(b *testing.B) {
	ctx := context.Background()
	engine, err := wasm.NewEngine(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { engine.Close() })

	b.Run("direct", func(b *testing.B) {
		mod, err := engine.Compile(ctx, echoWasm)
		if err != nil {
			b.Fatal(err)
		}
		fn, err := engine.NewFunction(mod, wasm.Config{Name: "echo"})
		if err != nil {
			b.Fatal(err)
		}
		defer fn.Close()
		req := &wasm.Request{Method: http.MethodGet, Path: "/", RawQuery: "x=1", Header: http.Header{}}
		b.ResetTimer()
		for b.Loop() {
			resp, err := fn.Invoke(ctx, req)
			if err != nil || resp.Status != http.StatusOK {
				b.Fatalf("invoke: %v %v", resp, err)
			}
		}
	})

	b.Run("provider", func(b *testing.B) {
		ref := pushEcho(b, ocitest.NewRegistry(b), "echo")
		backend, err := local.New(ctx, b.TempDir(), engine, local.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			b.Fatal(err)
		}
		defer backend.Close(ctx)
		err = backend.Deploy(ctx, provider.FunctionDeployment{Service: "echo", Image: ref, Namespace: provider.DefaultNamespace,
			Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(handlers.NewRouter(backend, handlers.Config{Logger: slog.New(slog.DiscardHandler)}))
		defer srv.Close()
		url := srv.URL + "/function/echo.openfaas-fn?x=1"
		b.ResetTimer()
		for b.Loop() {
			resp, err := http.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "query=x=1") {
				b.Fatalf("invoke: %d %q", resp.StatusCode, body)
			}
		}
	})
}
