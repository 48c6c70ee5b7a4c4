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
		if last.MediaType != oci.MediaTypePrecompiled {
			t.Fatalf("%v: last layer %q", form, last.MediaType)
		}
		if got := last.Annotations[oci.AnnotationPrecompiledEngine]; got != wasm.Fingerprint() {
			t.Errorf("engine annotation %q, want %q", got, wasm.Fingerprint())
		}
		if got := last.Annotations[oci.AnnotationPrecompiledModule]; got != precompiled.Digest(tinyCommand) {
			t.Errorf("module annotation %q", got)
		}
		if last.Annotations[oci.AnnotationPrecompiledSignature] == "" || last.Annotations[oci.AnnotationPrecompiledKey] != precompiled.KeyID(pub) {
			t.Errorf("annotations %v", last.Annotations)
		}
	}
	if _, err := b.addPrecompiled(nil, "junk", []byte("not wasm")); err == nil {
		t.Error("junk module precompiled")
	}
}
