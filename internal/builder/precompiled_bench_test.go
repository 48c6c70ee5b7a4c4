package builder

import (
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// BenchmarkPrecompiledLayer weighs, for each module under
// $FAAS_WASM_BENCH_MODULES (a `faas-wasm build --out DIR`: DIR/NAME/function.wasm),
// compiling it against pulling its image from a loopback registry without
// and with the signed precompiled layer (download, zstd decompression);
// metrics give the module's, the native code's and the layer's bytes. The
// difference of the two pulls is what the layer costs a first deploy, the
// compile what it saves; DefaultPrecompileMinBytes was chosen from it.
//
//	faas-wasm build --only prime-numbers-wasm,prime-numbers-rs-wasm --out /tmp/m
//	FAAS_WASM_BENCH_MODULES=/tmp/m go test -run - -bench PrecompiledLayer ./internal/builder
func BenchmarkPrecompiledLayer(b *testing.B) {
	dir := os.Getenv("FAAS_WASM_BENCH_MODULES")
	if dir == "" {
		b.Skip("FAAS_WASM_BENCH_MODULES names no `faas-wasm build --out` directory")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "function.wasm"))
	if err != nil || len(files) == 0 {
		b.Fatalf("no DIR/NAME/function.wasm under %s: %v", dir, err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	reg := ocitest.NewRegistry(b)
	ctx := context.Background()
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		module, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		eng, err := wasm.NewEngine(b.TempDir(), wasm.WithPooling(false))
		if err != nil {
			b.Fatal(err)
		}
		plain, err := oci.WasmImage(module, oci.FormOCILayer)
		if err != nil {
			b.Fatal(err)
		}
		signed, err := New(WithSignKey(key)).addPrecompiled(plain, name, module)
		if err != nil {
			b.Fatal(err)
		}
		m, err := signed.Manifest()
		if err != nil {
			b.Fatal(err)
		}
		layer := m.Layers[len(m.Layers)-1].Size
		for tag, img := range map[string]v1.Image{"plain": plain, "signed": signed} {
			if _, err := oci.Push(ctx, img, reg+"/"+name+":"+tag); err != nil {
				b.Fatal(err)
			}
		}
		var native int
		b.Run(name+"/compile", func(b *testing.B) {
			for b.Loop() {
				data, err := eng.Precompile(module)
				if err != nil {
					b.Fatal(err)
				}
				native = len(data)
			}
			b.ReportMetric(float64(len(module)), "module-bytes")
			b.ReportMetric(float64(native), "native-bytes")
		})
		b.Run(name+"/pull-module", func(b *testing.B) {
			for b.Loop() {
				if _, err := oci.PullWasm(ctx, reg+"/"+name+":plain"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/pull-with-precompiled", func(b *testing.B) {
			for b.Loop() {
				p, err := oci.PullWasm(ctx, reg+"/"+name+":signed", oci.WithPrecompiled(true))
				if err != nil || p.Precompiled == nil {
					b.Fatalf("%v %v", err, p.PrecompiledErr)
				}
			}
			b.ReportMetric(float64(layer), "layer-bytes")
		})
		eng.Close()
	}
}
