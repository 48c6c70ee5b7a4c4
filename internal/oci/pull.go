package oci

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/provider"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// WasmModule is the module PullWasm downloaded.
type WasmModule struct {
	// Module is the WebAssembly binary.
	Module []byte
	// Digest is the digest of the image manifest the module came from
	// ("sha256:..."); for an index, of the selected entry.
	Digest string
	// IndexDigest is the digest of the index the reference named, or ""
	// when it named an image manifest: with Digest, what Resolve returns.
	IndexDigest string
	// Ref pins the image: the repository with Digest ("host/repo@sha256:...").
	Ref string
	// Form is how the image held the module.
	Form WasmForm
	// Precompiled is the image's precompiled layer (see
	// precompiled.LayerMediaType), read only with WithPrecompiled: nil when the
	// image has none or it could not be read, PrecompiledErr then saying
	// why. It is untrusted: check its signature before loading it.
	Precompiled    *Precompiled
	PrecompiledErr error
}

// PullWasm downloads the module of a Wasm image: the application/wasm layer
// of a CNCF Wasm artifact, or, for an image whose platform is wasip1/wasm,
// the file its entrypoint names (default /function.wasm) from its layers,
// the topmost layer holding it winning. Layer digests are verified. With
// WithPrecompiled it also reads the image's precompiled layer, if any; a
// precompiled layer that cannot be read does not fail the pull
// (WasmModule.PrecompiledErr).
//
// # Errors
// ErrNotWasm (provider.ErrImage) for a container image; ErrInvalidReference
// (provider.ErrInvalid) for a malformed ref; ErrNotFound or ErrUnreachable
// (provider.ErrImage) when it cannot be read; provider.ErrImage when the
// image holds no module or the module exceeds the size limit.
func PullWasm(ctx context.Context, ref string, opts ...Option) (*WasmModule, error) {
	o := newOptions(opts)
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	res, err := resolve(ctx, ref, o)
	if err != nil {
		return nil, err
	}
	if res.kind != KindWasm {
		platform := res.info.Platform
		if platform == "" {
			platform = "unknown"
		}
		return nil, notWasm(ref, platform)
	}
	// The precompiled layer (several times the module's size) downloads
	// while the module's is read and decompressed.
	var pre *Precompiled
	var preErr error
	preDone := make(chan struct{})
	if o.precompiled {
		go func() {
			defer close(preDone)
			pre, preErr = res.precompiled(o.maxPrecompiledSize)
		}()
	} else {
		close(preDone)
	}
	defer func() { cancel(); <-preDone }() // an error return stops the download
	var module []byte
	if res.info.Form == FormArtifact {
		module, err = res.artifactModule(o.maxModuleSize)
	} else {
		module, err = res.layerModule(o.maxModuleSize)
	}
	if err != nil {
		return nil, err
	}
	m := &WasmModule{
		Module:      module,
		Digest:      res.info.Digest,
		IndexDigest: res.info.IndexDigest,
		Ref:         res.ref.Context().Digest(res.info.Digest).String(),
		Form:        res.info.Form,
	}
	<-preDone
	if preErr != nil {
		m.PrecompiledErr = fmt.Errorf("image %s: %w", ref, preErr)
	} else {
		m.Precompiled = pre
	}
	return m, nil
}

func (res *resolved) artifactModule(limit int64) ([]byte, error) {
	ref, reg := res.info.Ref, res.info.Registry
	for _, d := range res.manifest.Layers {
		if d.MediaType != MediaTypeWasmLayer {
			continue
		}
		if d.Size > limit {
			return nil, tooBig(ref, d.Size, limit)
		}
		layer, err := res.img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, classify(ref, reg, err)
		}
		rc, err := layer.Compressed()
		if err != nil {
			return nil, classify(ref, reg, err)
		}
		defer rc.Close()
		module, err := readLimited(rc, limit) // reads to EOF, where the digest is verified
		if err != nil {
			return nil, pullErr(ref, reg, err, limit)
		}
		return module, nil
	}
	return nil, classed([]error{provider.ErrImage}, nil, "image %s is a Wasm artifact without an %s layer", ref, MediaTypeWasmLayer)
}

func (res *resolved) layerModule(limit int64) ([]byte, error) {
	ref, reg := res.info.Ref, res.info.Registry
	want := WasmPath
	if len(res.info.Entrypoint) > 0 && strings.HasSuffix(res.info.Entrypoint[0], ".wasm") {
		want = res.info.Entrypoint[0]
	}
	want = strings.TrimPrefix(path.Clean("/"+want), "/")
	for i := len(res.manifest.Layers) - 1; i >= 0; i-- {
		d := res.manifest.Layers[i]
		if d.MediaType == precompiled.LayerMediaType {
			continue
		}
		layer, err := res.img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, classify(ref, reg, err)
		}
		module, found, err := findInLayer(layer, want, limit)
		if err != nil {
			return nil, pullErr(ref, reg, err, limit)
		}
		if found {
			return module, nil
		}
	}
	return nil, classed([]error{provider.ErrImage}, nil, "image %s has platform wasip1/wasm but no file /%s", ref, want)
}

// findInLayer looks for the regular file want (a clean path without
// leading slash) in a layer's tar.
func findInLayer(layer v1.Layer, want string, limit int64) ([]byte, bool, error) {
	rc, err := layer.Uncompressed()
	if err != nil {
		return nil, false, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("reading layer: %w", err)
		}
		if strings.TrimPrefix(path.Clean("/"+h.Name), "/") != want || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > limit {
			return nil, false, errTooBig
		}
		module, err := readLimited(tr, limit)
		if err != nil {
			return nil, false, err
		}
		// Read to the end so that the layer's digest is verified.
		if _, err := io.Copy(io.Discard, rc); err != nil {
			return nil, false, fmt.Errorf("reading layer: %w", err)
		}
		return module, true, nil
	}
}

var errTooBig = errors.New("module exceeds the size limit")

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errTooBig
	}
	return b, nil
}

func tooBig(ref string, size, limit int64) error {
	return classed([]error{provider.ErrImage, provider.ErrTooLarge}, nil,
		"image %s: module of %d bytes exceeds the limit of %d bytes", ref, size, limit)
}

func pullErr(ref, reg string, err error, limit int64) error {
	if errors.Is(err, errTooBig) {
		return classed([]error{provider.ErrImage, provider.ErrTooLarge}, nil,
			"image %s: module exceeds the limit of %d bytes", ref, limit)
	}
	return classify(ref, reg, err)
}
