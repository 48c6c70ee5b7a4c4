package oci

import (
	"context"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
)

// BenchmarkWasmImage measures building (and digesting) a Wasm image of the
// ~2 MB test guest; the OCI layer form includes gzip (default level).
func BenchmarkWasmImage(b *testing.B) {
	module := testModule(b)
	for _, form := range []WasmForm{FormOCILayer, FormArtifact} {
		b.Run(form.String(), func(b *testing.B) {
			b.SetBytes(int64(len(module)))
			for b.Loop() {
				img, err := WasmImage(module, form)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := img.Digest(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPullWasm measures Resolve, Inspect and PullWasm against the in-process
// registry on loopback.
func BenchmarkPullWasm(b *testing.B) {
	host := ocitest.NewRegistry(b)
	module := testModule(b)
	ctx := context.Background()
	for _, form := range []WasmForm{FormOCILayer, FormArtifact} {
		img, err := WasmImage(module, form)
		if err != nil {
			b.Fatal(err)
		}
		ref := host + "/bench/" + form.String() + ":v1"
		mustPush(b, img, ref)
		size, err := Size(img)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("pull/"+form.String(), func(b *testing.B) {
			b.SetBytes(int64(len(module)))
			for b.Loop() {
				if _, err := PullWasm(ctx, ref); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(size), "image-bytes")
		})
		b.Run("resolve/"+form.String(), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Resolve(ctx, ref); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("inspect/"+form.String(), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Inspect(ctx, ref); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
