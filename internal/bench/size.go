package bench

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
)

// ArtifactSize is what pulling an image transfers, from the registry's
// manifests: manifest + config + (compressed) layers.
type ArtifactSize struct {
	// Ref is the image reference measured.
	Ref string `json:"ref"`
	// Total is manifest + config + layers, in bytes.
	Total int64 `json:"totalBytes"`
	// Layers is the sum of the layers' sizes.
	Layers int64 `json:"layerBytes"`
	// Precompiled is the size of the image's signed precompiled layer
	// (precompiled.LayerMediaType; 0 for none), part of Layers and Total:
	// only a provider that trusts the build key needs it.
	Precompiled int64 `json:"precompiledBytes,omitempty"`
	// MediaType is the manifest's media type.
	MediaType string `json:"mediaType"`
}

// MeasureSize reads the manifest of ref from its registry. Loopback
// registries, and any when insecure is set, are reached over plain HTTP.
// For an index the first manifest is measured.
//
// # Errors
//
// Reference parsing and registry errors.
func MeasureSize(ctx context.Context, ref string, insecure bool) (ArtifactSize, error) {
	var opts []name.Option
	if insecure || isLoopbackRef(ref) {
		opts = append(opts, name.Insecure)
	}
	r, err := name.ParseReference(ref, opts...)
	if err != nil {
		return ArtifactSize{}, fmt.Errorf("size of %s: %w", ref, err)
	}
	desc, err := remote.Get(r, remote.WithContext(ctx))
	if err != nil {
		return ArtifactSize{}, fmt.Errorf("size of %s: %w", ref, err)
	}
	out := ArtifactSize{Ref: ref, MediaType: string(desc.MediaType)}
	var img v1.Image
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return out, fmt.Errorf("size of %s: %w", ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil || len(im.Manifests) == 0 {
			return out, fmt.Errorf("size of %s: empty index: %v", ref, err)
		}
		out.Total += desc.Size
		if img, err = idx.Image(im.Manifests[0].Digest); err != nil {
			return out, fmt.Errorf("size of %s: %w", ref, err)
		}
	} else if img, err = desc.Image(); err != nil {
		return out, fmt.Errorf("size of %s: %w", ref, err)
	}
	raw, err := img.RawManifest()
	if err != nil {
		return out, fmt.Errorf("size of %s: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return out, fmt.Errorf("size of %s: %w", ref, err)
	}
	for _, l := range m.Layers {
		out.Layers += l.Size
		if l.MediaType == precompiled.LayerMediaType {
			out.Precompiled += l.Size
		}
	}
	out.Total += int64(len(raw)) + m.Config.Size + out.Layers
	return out, nil
}

// isLoopbackRef reports whether ref's registry host is loopback.
func isLoopbackRef(ref string) bool {
	host, _, _ := strings.Cut(ref, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
