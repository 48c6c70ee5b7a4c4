package functions_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// BenchmarkInvoke compares one call of a few CPU-light and CPU-heavy
// functions with the study's inputs: the native binary over loopback HTTP
// (a real process, keep-alive on) and the Wasm snapshot invoked in process
// through runtime/wasm (a fresh instance per call, no HTTP).
func BenchmarkInvoke(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	b.Cleanup(cancel)
	bld := builder.New()
	engine, err := wasm.NewEngine(engineCache(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = engine.Close() })
	for _, in := range []struct{ name, query string }{
		{"prime-numbers", "n=100"},
		{"matmul", "dimensions=50"},
		{"aes", "length=1000&iterations=100"},
	} {
		pkg := "./functions/go/" + in.name
		bin, err := bld.Native(ctx, repoRoot, pkg, "")
		if err != nil {
			b.Fatal(err)
		}
		base := startNative(b, bin, nil)
		b.Run(in.name+"/native-http", func(b *testing.B) {
			for b.Loop() {
				resp, err := http.Get(base + "/?" + in.query)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
		module, got, err := bld.Wasm(ctx, repoRoot, pkg, builder.ShapeSnapshot)
		if err != nil {
			b.Fatal(err)
		}
		m, err := engine.Compile(ctx, module)
		if err != nil {
			b.Fatal(err)
		}
		f, err := engine.NewFunction(m, wasm.Config{Name: in.name})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(in.name+"/wasm-"+string(got), func(b *testing.B) {
			for b.Loop() {
				if _, err := f.Invoke(ctx, &wasm.Request{Method: http.MethodGet, Path: "/", RawQuery: in.query}); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = f.Close()
	}
}
