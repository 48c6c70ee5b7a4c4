package oci

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	prelayer "github.com/faas-wasm/faas-wasm/internal/precompiled/layer"
	"github.com/faas-wasm/faas-wasm/provider"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Precompiled is a Wasm image's module compiled ahead of time for one
// engine, and what the image says about it. Nothing here is trusted: a
// provider checks Signature (package precompiled) before loading Data.
type Precompiled struct {
	// Data is the serialized compiled module (runtime/wasm's Precompile).
	Data []byte
	// Engine is the fingerprint of the engine it was compiled for.
	Engine string
	// Module is the digest of the module it was compiled from
	// ("sha256:<hex>" of the module's bytes).
	Module string
	// KeyID names the signing key; Signature is the ed25519 signature.
	KeyID     string
	Signature []byte
}

// Claims returns what p says about its data, for precompiled's
// KeyRing.Check.
func (p *Precompiled) Claims() precompiled.Claims {
	return precompiled.Claims{Module: p.Module, Engine: p.Engine, KeyID: p.KeyID, Signature: p.Signature}
}

// AddPrecompiled returns img with p added as its precompiled layer (see
// precompiled.LayerMediaType), after its other layers; the config is unchanged.
// The result is reproducible: the same image and p give the same digest.
//
// # Errors
// provider.ErrInvalid when p has no data or img already has such a layer;
// errors reading img.
func AddPrecompiled(img v1.Image, p Precompiled) (v1.Image, error) {
	if len(p.Data) == 0 {
		return nil, fmt.Errorf("add precompiled layer: no data: %w", provider.ErrInvalid)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	m = m.DeepCopy()
	for _, l := range m.Layers {
		if l.MediaType == precompiled.LayerMediaType {
			return nil, fmt.Errorf("add precompiled layer: the image has one: %w", provider.ErrInvalid)
		}
	}
	tarBytes, err := buildTar([]tarEntry{{name: prelayer.File, mode: 0o444, data: p.Data}})
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	blob, err := prelayer.Compress(tarBytes)
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	layer := static.NewLayer(blob, precompiled.LayerMediaType)
	d, err := layer.Digest()
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	ann := p.Claims().Annotations()
	m.Layers = append(m.Layers, v1.Descriptor{MediaType: precompiled.LayerMediaType, Digest: d, Size: int64(len(blob)), Annotations: ann})
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	config, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	out, err := partial.CompressedToImage(&withLayer{base: img, manifest: raw, mediaType: m.MediaType, config: config, extra: layer})
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	return out, nil
}

// withLayer is an image with one more layer than its base, not listed in
// the config.
type withLayer struct {
	base      v1.Image
	manifest  []byte
	mediaType types.MediaType
	config    []byte
	extra     v1.Layer
}

var _ partial.CompressedImageCore = (*withLayer)(nil)

func (w *withLayer) RawConfigFile() ([]byte, error)      { return w.config, nil }
func (w *withLayer) MediaType() (types.MediaType, error) { return w.mediaType, nil }
func (w *withLayer) RawManifest() ([]byte, error)        { return w.manifest, nil }
func (w *withLayer) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if d, err := w.extra.Digest(); err == nil && d == h {
		return w.extra, nil
	}
	return w.base.LayerByDigest(h)
}

// precompiled reads the image's precompiled layer: nil, nil when it has
// none; an error saying why when it has one that cannot be read.
func (res *resolved) precompiled(limit int64) (*Precompiled, error) {
	var desc *v1.Descriptor
	for i := range res.manifest.Layers {
		if res.manifest.Layers[i].MediaType == precompiled.LayerMediaType {
			desc = &res.manifest.Layers[i]
			break
		}
	}
	if desc == nil {
		return nil, nil
	}
	if desc.Size > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", prelayer.ErrTooBig, desc.Size, limit)
	}
	c, err := precompiled.ParseAnnotations(desc.Annotations)
	if err != nil {
		return nil, err
	}
	p := &Precompiled{Engine: c.Engine, Module: c.Module, KeyID: c.KeyID, Signature: c.Signature}
	layer, err := res.img.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := prelayer.Read(io.LimitReader(rc, limit+1), limit)
	if err != nil {
		return nil, err
	}
	// Read to the end, where the layer's digest is verified.
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, fmt.Errorf("reading precompiled layer: %w", err)
	}
	p.Data = data
	return p, nil
}
