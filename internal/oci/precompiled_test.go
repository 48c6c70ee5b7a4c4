package oci

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	prelayer "github.com/faas-wasm/faas-wasm/internal/precompiled/layer"
	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestPrecompiledRoundTrip pushes Wasm images with and without a
// precompiled layer, in both forms, and pulls them with and without asking
// for the layer, and the way readers that do not know the layer do.
func TestPrecompiledRoundTrip(t *testing.T) {
	host := ocitest.NewRegistry(t)
	module := testModule(t)
	pre := Precompiled{
		Data:      bytes.Repeat([]byte("native code "), 1000),
		Engine:    "faas-wasm-engine/1 test",
		Module:    "sha256:0123",
		KeyID:     "ed25519:abcd",
		Signature: []byte{1, 2, 3, 4},
	}
	for _, form := range []WasmForm{FormOCILayer, FormArtifact} {
		t.Run(form.String(), func(t *testing.T) {
			base, err := WasmImage(module, form)
			if err != nil {
				t.Fatal(err)
			}
			img, err := AddPrecompiled(base, pre)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := AddPrecompiled(base, pre)
			if digestOf(t, img) != digestOf(t, again) {
				t.Error("AddPrecompiled is not reproducible")
			}
			if _, err := AddPrecompiled(img, pre); !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("adding a second precompiled layer: %v", err)
			}
			if _, err := AddPrecompiled(base, Precompiled{}); !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("adding an empty precompiled layer: %v", err)
			}
			// Same config, the module layer first, the precompiled layer not
			// a filesystem layer (containerd unpacks only those, matched with
			// the config's diff_ids).
			bm, _ := base.Manifest()
			m, _ := img.Manifest()
			if m.Config.Digest != bm.Config.Digest || len(m.Layers) != len(bm.Layers)+1 || m.Layers[0].Digest != bm.Layers[0].Digest {
				t.Fatalf("manifest %+v does not extend %+v", m, bm)
			}
			if last := m.Layers[len(m.Layers)-1]; last.MediaType != precompiled.LayerMediaType || last.MediaType.IsLayer() {
				t.Errorf("precompiled layer media type %q", last.MediaType)
			}
			ref := host + "/fn/pre-" + form.String() + ":v1"
			mustPush(t, img, ref)
			plain := host + "/fn/plain-" + form.String() + ":v1"
			mustPush(t, base, plain)

			kind, info, err := Inspect(testCtx(t), ref)
			if err != nil || kind != KindWasm || info.Form != form {
				t.Fatalf("Inspect: %v %v %+v", err, kind, info)
			}
			got, err := PullWasm(testCtx(t), ref)
			if err != nil || !bytes.Equal(got.Module, module) || got.Precompiled != nil || got.PrecompiledErr != nil {
				t.Fatalf("PullWasm without WithPrecompiled: %v, precompiled %v %v", err, got.Precompiled, got.PrecompiledErr)
			}
			got, err = PullWasm(testCtx(t), ref, WithPrecompiled(true))
			if err != nil || !bytes.Equal(got.Module, module) {
				t.Fatalf("PullWasm: %v", err)
			}
			if got.PrecompiledErr != nil || got.Precompiled == nil {
				t.Fatalf("precompiled layer not read: %v", got.PrecompiledErr)
			}
			p := got.Precompiled
			if !bytes.Equal(p.Data, pre.Data) || p.Engine != pre.Engine || p.Module != pre.Module || p.KeyID != pre.KeyID || !bytes.Equal(p.Signature, pre.Signature) {
				t.Errorf("precompiled layer read back as %+v", p)
			}
			got, err = PullWasm(testCtx(t), plain, WithPrecompiled(true))
			if err != nil || !bytes.Equal(got.Module, module) || got.Precompiled != nil || got.PrecompiledErr != nil {
				t.Fatalf("PullWasm of an image without the layer: %v, %v %v", err, got.Precompiled, got.PrecompiledErr)
			}
			if last := m.Layers[len(m.Layers)-1]; last.Size >= int64(len(pre.Data)) {
				t.Errorf("precompiled layer of %d bytes for %d bytes of repetitive code: not compressed", last.Size, len(pre.Data))
			}
			// Compressed or uncompressed, a layer over the limit is not read.
			for _, limit := range []int64{100, 1000} {
				small := func(o *options) { o.maxPrecompiledSize = limit }
				got, err = PullWasm(testCtx(t), ref, WithPrecompiled(true), small)
				if err != nil || got.Precompiled != nil || !errors.Is(got.PrecompiledErr, prelayer.ErrTooBig) {
					t.Fatalf("precompiled layer over a %d-byte limit: %v, %v %v", limit, err, got.Precompiled, got.PrecompiledErr)
				}
			}
			if old := oldReader(t, ref, form); !bytes.Equal(old, module) {
				t.Errorf("a reader that does not know the layer read %d bytes, want the module's %d", len(old), len(module))
			}
		})
	}
}

// oldReader reads the module of ref the way faas-wasm did before the
// precompiled layer (every layer from the top down, as tar, for
// /function.wasm) or an application/wasm reader does (the first such layer).
func oldReader(t *testing.T, ref string, form WasmForm) []byte {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	if form == FormArtifact {
		m, _ := img.Manifest()
		for _, d := range m.Layers {
			if d.MediaType == MediaTypeWasmLayer {
				l, _ := img.LayerByDigest(d.Digest)
				rc, err := l.Compressed()
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				b, err := readLimited(rc, DefaultMaxModuleSize)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
		}
		return nil
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i := len(layers) - 1; i >= 0; i-- {
		module, found, err := findInLayer(layers[i], "function.wasm", DefaultMaxModuleSize)
		if err != nil {
			t.Fatalf("old reader, layer %d: %v", i, err)
		}
		if found {
			return module
		}
	}
	return nil
}

// TestPrecompiledLargeRoundTrip reads back a precompiled layer of several
// zstd windows (a Go module's native code is 20-35 MB), built twice to the
// same digest.
func TestPrecompiledLargeRoundTrip(t *testing.T) {
	host := ocitest.NewRegistry(t)
	data := make([]byte, 2*prelayer.ZstdWindow+12345)
	r := rand.New(rand.NewChaCha8([32]byte{1}))
	for i := range data {
		// Half random, half runs: compressible, as native code is.
		if i%2 == 0 {
			data[i] = byte(r.Uint32())
		}
	}
	base, err := WasmImage(testModule(t), FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	pre := Precompiled{Data: data, Engine: "faas-wasm-engine/1 test", Module: "sha256:0123"}
	img, err := AddPrecompiled(base, pre)
	if err != nil {
		t.Fatal(err)
	}
	// Compressing other bytes in between changes nothing.
	if _, err := AddPrecompiled(base, Precompiled{Data: data[:len(data)/3], Engine: pre.Engine, Module: pre.Module}); err != nil {
		t.Fatal(err)
	}
	again, err := AddPrecompiled(base, Precompiled{Data: bytes.Clone(data), Engine: pre.Engine, Module: pre.Module})
	if err != nil || digestOf(t, img) != digestOf(t, again) {
		t.Fatalf("AddPrecompiled of the same bytes: %v, digests %s and %s", err, digestOf(t, img), digestOf(t, again))
	}
	ref := host + "/fn/large:v1"
	mustPush(t, img, ref)
	got, err := PullWasm(testCtx(t), ref, WithPrecompiled(true))
	if err != nil || got.PrecompiledErr != nil || got.Precompiled == nil {
		t.Fatalf("PullWasm: %v, %v", err, got.PrecompiledErr)
	}
	if !bytes.Equal(got.Precompiled.Data, data) {
		t.Errorf("read back %d bytes, not the %d written", len(got.Precompiled.Data), len(data))
	}
}

// FuzzReadPrecompiledTar: the reader of a precompiled layer's blob (bytes
// from a registry) never panics nor returns more than the limit, and reads
// back what AddPrecompiled's encoding wrote.
func FuzzReadPrecompiledTar(f *testing.F) {
	const limit = 1 << 16
	layer := func(data []byte) []byte {
		tb, err := buildTar([]tarEntry{{name: prelayer.File, mode: 0o444, data: data}})
		if err != nil {
			f.Fatal(err)
		}
		z, err := prelayer.Compress(tb)
		if err != nil {
			f.Fatal(err)
		}
		return z
	}
	f.Add(layer([]byte("native code")))
	f.Add(layer(bytes.Repeat([]byte{0x90}, limit+1)))
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0})
	f.Add([]byte("not zstd"))
	f.Fuzz(func(t *testing.T, blob []byte) {
		if data, err := prelayer.Read(bytes.NewReader(blob), limit); err == nil && len(data) > limit {
			t.Fatalf("read %d bytes over the %d limit", len(data), limit)
		}
		if len(blob) > limit {
			return
		}
		got, err := prelayer.Read(bytes.NewReader(layer(blob)), limit)
		if err != nil || !bytes.Equal(got, blob) {
			t.Fatalf("round trip of %d bytes: %v, %d bytes back", len(blob), err, len(got))
		}
	})
}
