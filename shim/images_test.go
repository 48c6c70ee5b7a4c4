package shim

import (
	"github.com/faas-wasm/faas-wasm/oci"
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
