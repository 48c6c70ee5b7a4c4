package oci

import (
	"bytes"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// wasmConfig is the config blob of a CNCF Wasm artifact.
type wasmConfig struct {
	Created      string   `json:"created"`
	Architecture string   `json:"architecture"`
	OS           string   `json:"os"`
	LayerDigests []string `json:"layerDigests"`
}

// artifact is a CNCF Wasm artifact built in memory.
type artifact struct {
	config   []byte
	manifest []byte
	layer    v1.Layer
}

var _ partial.CompressedImageCore = (*artifact)(nil)

func newArtifact(module []byte) (v1.Image, error) {
	layer := static.NewLayer(module, types.MediaType(MediaTypeWasmLayer))
	ld, err := layer.Digest()
	if err != nil {
		return nil, err
	}
	config, err := json.Marshal(wasmConfig{
		Created:      epoch.Format("2006-01-02T15:04:05Z"),
		Architecture: "wasm",
		OS:           "wasip1",
		LayerDigests: []string{ld.String()},
	})
	if err != nil {
		return nil, err
	}
	cd, cn, err := v1.SHA256(bytes.NewReader(config))
	if err != nil {
		return nil, err
	}
	manifest, err := json.Marshal(v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		Config:        v1.Descriptor{MediaType: types.MediaType(MediaTypeWasmConfig), Digest: cd, Size: cn},
		Layers:        []v1.Descriptor{{MediaType: types.MediaType(MediaTypeWasmLayer), Digest: ld, Size: int64(len(module))}},
	})
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifact{config: config, manifest: manifest, layer: layer})
}

// RawConfigFile returns the Wasm config blob.
func (a *artifact) RawConfigFile() ([]byte, error) { return a.config, nil }

// MediaType returns the OCI manifest media type.
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// RawManifest returns the manifest.
func (a *artifact) RawManifest() ([]byte, error) { return a.manifest, nil }

// LayerByDigest returns the module layer or the config blob.
func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, err := a.layer.Digest(); err == nil && d == h {
		return a.layer, nil
	}
	if d, _, err := v1.SHA256(bytes.NewReader(a.config)); err == nil && d == h {
		return static.NewLayer(a.config, types.MediaType(MediaTypeWasmConfig)), nil
	}
	return nil, fmt.Errorf("artifact has no blob %s", h)
}
