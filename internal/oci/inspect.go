package oci

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Media types of the CNCF Wasm OCI artifact.
const (
	// MediaTypeWasmConfig is the config media type of a Wasm artifact.
	MediaTypeWasmConfig = "application/vnd.wasm.config.v0+json"
	// MediaTypeWasmLayer is the media type of a layer holding a Wasm module.
	MediaTypeWasmLayer = "application/wasm"
)

// Kind tells how an image runs.
type Kind int

// Kinds of images.
const (
	// KindContainer is any image that is not Wasm: it runs in a container runtime.
	KindContainer Kind = iota
	// KindWasm is a Wasm OCI artifact or an image whose platform is wasip1/wasm
	// (or wasi/wasm).
	KindWasm
)

// String returns provider.RuntimeContainer or provider.RuntimeWasm.
func (k Kind) String() string {
	if k == KindWasm {
		return provider.RuntimeWasm
	}
	return provider.RuntimeContainer
}

// Info describes a resolved image.
type Info struct {
	// Ref is the reference as given.
	Ref string
	// Registry is the registry host (and port) the image came from.
	Registry string
	// Digest is the digest of the selected image manifest ("sha256:...").
	Digest string
	// IndexDigest is the digest of the index Ref named, or "" when Ref named
	// an image manifest directly.
	IndexDigest string
	// Pinned is Ref pinned to the digest it names now, the index's when it
	// names an index ("host/repo@sha256:...", as Resolve returns it).
	Pinned string
	// MediaType is the media type of the image manifest.
	MediaType string
	// ConfigMediaType is the media type of the image's config.
	ConfigMediaType string
	// Platform is the config's "os/arch[/variant]" ("" when the config has none).
	Platform string
	// Form is how a Wasm image holds its module; meaningless for containers.
	Form WasmForm
	// Entrypoint is the config's entrypoint, when it has one.
	Entrypoint []string
	// Size is the compressed size of the selected image's manifest, config
	// and layers, as the manifest declares them (an index's own manifest is
	// not counted).
	Size int64
}

// resolved is an image selected from a reference, with its manifest.
type resolved struct {
	ref      name.Reference
	img      v1.Image
	manifest *v1.Manifest
	kind     Kind
	info     Info
}

// Inspect resolves ref and tells its kind without downloading layers: it
// reads the manifest (and, for an index, the selected entry's manifest) and
// the config blob. For an index, an entry whose platform is Wasm wins, else
// the entry matching the platform option (default linux and the host's
// architecture).
//
// # Errors
// ErrInvalidReference (provider.ErrInvalid) for a malformed ref; ErrNotFound
// or ErrUnreachable (both provider.ErrImage) when the image cannot be read;
// provider.ErrImage for an index without a matching entry or an unreadable
// manifest or config.
func Inspect(ctx context.Context, ref string, opts ...Option) (Kind, Info, error) {
	o := newOptions(opts)
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	res, err := resolve(ctx, ref, o)
	if err != nil {
		return KindContainer, Info{}, err
	}
	return res.kind, res.info, nil
}

func (o *options) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeout(ctx, o.timeout)
	}
	return context.WithCancel(ctx)
}

func resolve(ctx context.Context, ref string, o *options) (*resolved, error) {
	if o.err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, o.err)
	}
	r, err := parseReference(ref, o)
	if err != nil {
		return nil, err
	}
	reg := r.Context().RegistryStr()
	ro := append(o.remoteOptions(), remote.WithContext(ctx))
	desc, err := remote.Get(r, ro...)
	if err != nil {
		return nil, classify(ref, reg, err)
	}
	res := &resolved{ref: r, info: Info{Ref: ref, Registry: reg, Pinned: pin(r, desc.Digest.String())}}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, classify(ref, reg, err)
		}
		child, err := selectEntry(ref, idx, o.platform)
		if err != nil {
			return nil, err
		}
		if res.img, err = idx.Image(child.Digest); err != nil {
			return nil, classify(ref, reg, err)
		}
		res.info.IndexDigest = desc.Digest.String()
	case desc.MediaType.IsImage():
		if res.img, err = desc.Image(); err != nil {
			return nil, classify(ref, reg, err)
		}
	default:
		return nil, classed([]error{provider.ErrImage}, nil,
			"image %s has unsupported manifest media type %q", ref, desc.MediaType)
	}
	if err := res.describe(); err != nil {
		return nil, err
	}
	return res, nil
}

// selectEntry picks an index entry: a Wasm platform first, else one that
// satisfies want.
func selectEntry(ref string, idx v1.ImageIndex, want v1.Platform) (v1.Descriptor, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, classed([]error{provider.ErrImage}, err, "image %s: reading index: %v", ref, err)
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && isWasmPlatform(d.Platform.OS, d.Platform.Architecture) && d.MediaType.IsImage() {
			return d, nil
		}
	}
	for _, d := range im.Manifests {
		if d.Platform != nil && d.Platform.Satisfies(want) && d.MediaType.IsImage() {
			return d, nil
		}
	}
	return v1.Descriptor{}, classed([]error{provider.ErrImage}, nil,
		"image %s is an index with no entry for platform %s or wasip1/wasm", ref, want.String())
}

func isWasmPlatform(os, arch string) bool {
	return (os == "wasip1" || os == "wasi") && arch == "wasm"
}

// rawConfig holds the config fields both container configs and Wasm
// artifact configs share.
type rawConfig struct {
	OS           string `json:"os"`
	Architecture string `json:"architecture"`
	Variant      string `json:"variant"`
	Config       struct {
		Entrypoint []string `json:"Entrypoint"`
	} `json:"config"`
}

// describe reads res.img's manifest and config and fills kind and info.
func (res *resolved) describe() error {
	ref, reg := res.info.Ref, res.info.Registry
	m, err := res.img.Manifest()
	if err != nil {
		return classify(ref, reg, err)
	}
	digest, err := res.img.Digest()
	if err != nil {
		return classify(ref, reg, err)
	}
	rawManifest, err := res.img.RawManifest()
	if err != nil {
		return classify(ref, reg, err)
	}
	res.manifest = m
	res.info.Digest = digest.String()
	res.info.MediaType = string(m.MediaType)
	res.info.ConfigMediaType = string(m.Config.MediaType)
	res.info.Size = int64(len(rawManifest)) + m.Config.Size
	wasmLayer := false
	for _, l := range m.Layers {
		res.info.Size += l.Size
		wasmLayer = wasmLayer || l.MediaType == MediaTypeWasmLayer
	}
	raw, err := res.img.RawConfigFile()
	if err != nil {
		return classify(ref, reg, err)
	}
	var cfg rawConfig
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return classed([]error{provider.ErrImage}, err, "image %s: config is not JSON: %v", ref, err)
	}
	res.info.Entrypoint = cfg.Config.Entrypoint
	if cfg.OS != "" || cfg.Architecture != "" {
		p := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
		res.info.Platform = p.String()
	}
	switch {
	case string(m.Config.MediaType) == MediaTypeWasmConfig || wasmLayer:
		res.kind, res.info.Form = KindWasm, FormArtifact
		if res.info.Platform == "" {
			res.info.Platform = "wasip1/wasm"
		}
	case isWasmPlatform(cfg.OS, cfg.Architecture):
		res.kind, res.info.Form = KindWasm, FormOCILayer
	default:
		res.kind = KindContainer
	}
	return nil
}
