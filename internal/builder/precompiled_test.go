package builder

import (
	"crypto/ed25519"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// tinyCommand is (module (func (export "_start"))).
var tinyCommand = []byte{
	0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
	0x03, 0x02, 0x01, 0x00,
	0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00,
	0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,
}

func TestSignKeyAddsPrecompiledLayer(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	b := New(WithSignKey(key))
	for _, form := range []oci.WasmForm{oci.FormOCILayer, oci.FormArtifact} {
		img, err := oci.WasmImage(tinyCommand, form)
		if err != nil {
			t.Fatal(err)
		}
		img, err = b.addPrecompiled(img, "tiny", tinyCommand)
		if err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		last := m.Layers[len(m.Layers)-1]
		if last.MediaType != precompiled.LayerMediaType {
			t.Fatalf("%v: last layer %q", form, last.MediaType)
		}
		if got := last.Annotations[precompiled.AnnotationEngine]; got != wasm.Fingerprint() {
			t.Errorf("engine annotation %q, want %q", got, wasm.Fingerprint())
		}
		if got := last.Annotations[precompiled.AnnotationModule]; got != precompiled.Digest(tinyCommand) {
			t.Errorf("module annotation %q", got)
		}
		if last.Annotations[precompiled.AnnotationSignature] == "" || last.Annotations[precompiled.AnnotationKey] != precompiled.KeyID(pub) {
			t.Errorf("annotations %v", last.Annotations)
		}
	}
	if _, err := b.addPrecompiled(nil, "junk", []byte("not wasm")); err == nil {
		t.Error("junk module precompiled")
	}
}

// TestPrecompileMinBytes: with a sign key, a module under the threshold
// (DefaultPrecompileMinBytes unless set) gets a module-only image and one
// at or over it a precompiled layer; the signed image of the same source
// has the same digest twice.
func TestPrecompileMinBytes(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a C program")
	}
	_, key, _ := ed25519.GenerateKey(nil)
	if b := New(); b.precompiles(make([]byte, 1<<30)) {
		t.Error("a builder without a sign key precompiles")
	}
	b := New(WithSignKey(key))
	if b.precompiles(make([]byte, DefaultPrecompileMinBytes-1)) || !b.precompiles(make([]byte, DefaultPrecompileMinBytes)) {
		t.Errorf("default threshold is not %d bytes", DefaultPrecompileMinBytes)
	}
	fn := Function{Lang: "c-faaswasm", Handler: "./sdk/c/examples/hello.c", Image: "x/hello",
		Annotations: map[string]string{RuntimeAnnotation: "wasm"}}
	hasLayer := func(b *Builder) (bool, string) {
		t.Helper()
		a, err := b.Build(t.Context(), repoRoot, "hello", fn)
		if err != nil {
			t.Fatal(err)
		}
		m, err := a.Img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		return m.Layers[len(m.Layers)-1].MediaType == precompiled.LayerMediaType, a.Digest
	}
	if has, _ := hasLayer(b); has {
		t.Error("a small C module got a precompiled layer by default")
	}
	all := New(WithSignKey(key), WithPrecompileMinBytes(0))
	has, d1 := hasLayer(all)
	if !has {
		t.Fatal("WithPrecompileMinBytes(0): no precompiled layer")
	}
	if _, d2 := hasLayer(all); d1 != d2 {
		t.Errorf("signed precompiled image not reproducible: %s vs %s", d1, d2)
	}
}
