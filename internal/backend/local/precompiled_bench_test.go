package local

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

var primeBuild struct {
	once   sync.Once
	module []byte
	shape  builder.Shape
	err    error
}

// primeModule builds the stack's prime-numbers-wasm entry with the builder
// (snapshot shape), once per test binary.
func primeModule(b *testing.B) ([]byte, builder.Shape) {
	b.Helper()
	primeBuild.once.Do(func() {
		root, err := filepath.Abs("../../..")
		if err != nil {
			primeBuild.err = err
			return
		}
		stack, err := builder.LoadStack(filepath.Join(root, "stack.yml"))
		if err != nil {
			primeBuild.err = err
			return
		}
		a, err := builder.New().Build(context.Background(), root, "prime-numbers-wasm", stack.Functions["prime-numbers-wasm"])
		if err != nil {
			primeBuild.err = err
			return
		}
		primeBuild.module, primeBuild.shape = a.Raw, a.Shape
	})
	if primeBuild.err != nil {
		b.Fatalf("building prime-numbers-wasm: %v", primeBuild.err)
	}
	return primeBuild.module, primeBuild.shape
}

// BenchmarkFirstCallNewDigest measures what a new version of a Go Wasm
// function costs before it answers: pull, (compile or load the signed
// precompiled layer), instantiate, deploy, first 200, on a running local
// backend whose engine has never seen the module. Each iteration deploys a
// new digest: the builder's prime-numbers-wasm module with a custom section
// naming the iteration (same code, new bytes), pushed to a loopback
// registry outside the timer. The signed variant ships the module's
// precompiled form, compiled once from the base module (a custom section
// does not change the compiled code) and signed for each variant's digest,
// as the builder would. Metrics: compiles/op from the engine observer,
// image-MB of one pushed image.
//
//	go test -run '^$' -bench FirstCallNewDigest -benchtime 5x ./internal/backend/local
func BenchmarkFirstCallNewDigest(b *testing.B) {
	base, shape := primeModule(b)
	b.Logf("prime-numbers-wasm: %d bytes, shape %s, engine %s", len(base), shape, wasm.Fingerprint())
	pub, key, _ := ed25519.GenerateKey(nil)
	be, err := wasm.NewEngine(b.TempDir(), wasm.WithPooling(false), wasm.WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	data, err := be.Precompile(base)
	be.Close()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("builder: precompiled %d bytes in %v", len(data), time.Since(start).Round(time.Millisecond))
	reg := ocitest.NewRegistry(b)
	for _, signedLayer := range []bool{false, true} {
		name := "compile"
		if signedLayer {
			name = "signed-precompiled"
		}
		b.Run(name, func(b *testing.B) {
			var rec loadRecorder
			engine, err := wasm.NewEngine(b.TempDir(), wasm.WithObserver(&rec), wasm.WithLogger(discardLogger()))
			if err != nil {
				b.Fatal(err)
			}
			defer engine.Close()
			host, err := New(context.Background(), b.TempDir(), engine, WithLogger(discardLogger()),
				WithTrustedBuildKeys(precompiled.NewKeyRing(pub)))
			if err != nil {
				b.Fatal(err)
			}
			defer host.Close(context.Background())
			var imageBytes int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				module := withCustomSection(base, fmt.Sprintf("%s-%d-%d", name, i, time.Now().UnixNano()))
				img, err := oci.WasmImage(module, oci.FormOCILayer)
				if err == nil && signedLayer {
					img, err = oci.AddPrecompiled(img, *signed(key, module, wasm.Fingerprint(), data))
				}
				if err != nil {
					b.Fatal(err)
				}
				if imageBytes, err = oci.Size(img); err != nil {
					b.Fatal(err)
				}
				ref := fmt.Sprintf("%s/fn/prime-%s:%d", reg, name, i)
				if _, err := oci.Push(context.Background(), img, ref); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				spec := provider.FunctionDeployment{Service: "prime", Image: ref, Annotations: map[string]string{provider.AnnotationRuntime: "wasm"}}
				deploy := host.Deploy
				if i > 0 {
					deploy = host.Update // a new version of the function
				}
				if err := deploy(context.Background(), spec); err != nil {
					b.Fatal(err)
				}
				h, err := host.Invoker(context.Background(), "prime", "")
				if err != nil {
					b.Fatal(err)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/?n=1000", nil))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"count": 168`) {
					b.Fatalf("first call: %d %.200s", w.Code, w.Body.String())
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(rec.misses())/float64(b.N), "compiles/op")
			b.ReportMetric(float64(imageBytes)/1e6, "image-MB")
		})
	}
}
