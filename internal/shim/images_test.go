package shim

import (
	"github.com/faas-wasm/faas-wasm/internal/oci"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// buildImage makes the test image called name: a FROM-scratch container
// image for "prime-native" and "pause", a Wasm image (OCI layer form)
// otherwise.
func buildImage(name string, module []byte) (v1.Image, error) {
	if name == "prime-native" || name == "pause" {
		return oci.ContainerImage(module, oci.ContainerConfig{})
	}
	return oci.WasmImage(module, oci.FormOCILayer)
}

// withCustomSection appends a custom section (id 0) to a Wasm module.
func withCustomSection(module []byte, name, payload string) []byte {
	leb := func(n int) []byte {
		var b []byte
		for {
			c := byte(n & 0x7f)
			n >>= 7
			if n != 0 {
				c |= 0x80
			}
			b = append(b, c)
			if n == 0 {
				return b
			}
		}
	}
	body := append(leb(len(name)), name...)
	body = append(body, payload...)
	out := append(append([]byte(nil), module...), 0)
	out = append(out, leb(len(body))...)
	return append(out, body...)
}
