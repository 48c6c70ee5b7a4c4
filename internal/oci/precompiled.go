package oci

import (
	"archive/tar"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"

	"github.com/faas-wasm/faas-wasm/provider"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// MediaTypePrecompiled is the media type of the optional layer of a Wasm
// image holding its module precompiled for one engine (see Precompiled): a
// zstd-compressed tar with the one file PrecompiledPath.
//
// The layer comes after the module's, which stays the image's first layer;
// the config (the OCI layer form's rootfs.diff_ids, the artifact's
// layerDigests) does not list it. Readers that do not know the type skip it:
// containerd unpacks only layer media types; an application/wasm reader
// takes the application/wasm layer; a faas-wasm older than the layer looks
// for /function.wasm from the top layer down (decompressing zstd) and finds
// none in this tar. It is a tar rather than the raw bytes for that last
// reader, and for any runtime that unpacks every layer: it gets a harmless
// file.
//
// It is compressed with zstd (fixed settings, see zstdEncoderOptions, so
// that the same code gives the same digest): a Go module's native code
// shrinks to ~38% (prime-numbers: 20.1 MB to 7.6 MB) and decompresses in
// ~26 ms, where gzip (same ratio) took ~140 ms. Layers of the earlier
// uncompressed type (…precompiled.v1.cwasm.tar, never released) are not
// read: such an image's module is compiled.
const MediaTypePrecompiled = "application/vnd.faas-wasm.precompiled.v2.cwasm.tar+zstd"

// PrecompiledPath names the file of the precompiled layer.
const PrecompiledPath = "function.cwasm"

// Annotations of the precompiled layer's descriptor (see Precompiled).
const (
	AnnotationPrecompiledEngine    = "com.faas-wasm.precompiled.engine"
	AnnotationPrecompiledModule    = "com.faas-wasm.precompiled.module"
	AnnotationPrecompiledKey       = "com.faas-wasm.precompiled.key"
	AnnotationPrecompiledSignature = "com.faas-wasm.precompiled.signature"
)

// DefaultMaxPrecompiledSize is the largest precompiled layer PullWasm reads,
// compressed and uncompressed (a Go module's native code is ~3x the module).
const DefaultMaxPrecompiledSize = 1 << 30

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

// AddPrecompiled returns img with p added as its precompiled layer (see
// MediaTypePrecompiled), after its other layers; the config is unchanged.
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
		if l.MediaType == MediaTypePrecompiled {
			return nil, fmt.Errorf("add precompiled layer: the image has one: %w", provider.ErrInvalid)
		}
	}
	tarBytes, err := buildTar([]tarEntry{{name: PrecompiledPath, mode: 0o444, data: p.Data}})
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	blob, err := compressZstd(tarBytes)
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	layer := static.NewLayer(blob, MediaTypePrecompiled)
	d, err := layer.Digest()
	if err != nil {
		return nil, fmt.Errorf("add precompiled layer: %w", err)
	}
	ann := map[string]string{
		AnnotationPrecompiledEngine: p.Engine,
		AnnotationPrecompiledModule: p.Module,
	}
	if p.KeyID != "" {
		ann[AnnotationPrecompiledKey] = p.KeyID
	}
	if len(p.Signature) > 0 {
		ann[AnnotationPrecompiledSignature] = base64.StdEncoding.EncodeToString(p.Signature)
	}
	m.Layers = append(m.Layers, v1.Descriptor{MediaType: MediaTypePrecompiled, Digest: d, Size: int64(len(blob)), Annotations: ann})
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

// errPrecompiledTooBig is the reason of a precompiled layer over the limit.
var errPrecompiledTooBig = errors.New("precompiled layer exceeds the size limit")

// precompiled reads the image's precompiled layer: nil, nil when it has
// none; an error saying why when it has one that cannot be read.
func (res *resolved) precompiled(limit int64) (*Precompiled, error) {
	var desc *v1.Descriptor
	for i := range res.manifest.Layers {
		if res.manifest.Layers[i].MediaType == MediaTypePrecompiled {
			desc = &res.manifest.Layers[i]
			break
		}
	}
	if desc == nil {
		return nil, nil
	}
	if desc.Size > limit {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", errPrecompiledTooBig, desc.Size, limit)
	}
	p := &Precompiled{
		Engine: desc.Annotations[AnnotationPrecompiledEngine],
		Module: desc.Annotations[AnnotationPrecompiledModule],
		KeyID:  desc.Annotations[AnnotationPrecompiledKey],
	}
	if s := desc.Annotations[AnnotationPrecompiledSignature]; s != "" {
		sig, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("precompiled layer signature annotation: %w", err)
		}
		p.Signature = sig
	}
	layer, err := res.img.LayerByDigest(desc.Digest)
	if err != nil {
		return nil, err
	}
	rc, err := layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := readPrecompiledTar(io.LimitReader(rc, limit+1), limit)
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

// readPrecompiledTar returns the file PrecompiledPath of the zstd tar r,
// refusing one over limit bytes (errPrecompiledTooBig).
func readPrecompiledTar(r io.Reader, limit int64) ([]byte, error) {
	zr, err := zstd.NewReader(r, zstdDecoderOptions...)
	if err != nil {
		return nil, fmt.Errorf("reading precompiled layer: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("precompiled layer has no file %s", PrecompiledPath)
		}
		if err != nil {
			return nil, fmt.Errorf("reading precompiled layer: %w", err)
		}
		if h.Name != PrecompiledPath || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > limit {
			return nil, fmt.Errorf("%w: %s is %d bytes, limit %d", errPrecompiledTooBig, PrecompiledPath, h.Size, limit)
		}
		var buf bytes.Buffer
		buf.Grow(int(h.Size))
		if _, err := io.Copy(&buf, tr); err != nil {
			return nil, fmt.Errorf("reading precompiled layer: %w", err)
		}
		return buf.Bytes(), nil
	}
}

// zstdEncoderOptions are fixed so that compressing the same bytes gives the
// same layer digest: one goroutine, the "better" level (measured on the
// native code of prime-numbers' Go module: 37.9% in 0.46 s against the
// default level's 43.0%; the "best" level took 1.9 s for 36.1% and decodes
// slower), an 8 MiB window, checksums.
var zstdEncoderOptions = []zstd.EOption{
	zstd.WithEncoderConcurrency(1),
	zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
	zstd.WithWindowSize(zstdWindow),
	zstd.WithEncoderCRC(true),
}

// zstdWindow is the encoder's window, and the largest a precompiled layer's
// decoder accepts (it bounds the decoder's memory).
const zstdWindow = 8 << 20

// zstdDecoderOptions are a precompiled layer's decoder's: one goroutine
// (decoding as the layer downloads), at most a zstdWindow window.
var zstdDecoderOptions = []zstd.DOption{
	zstd.WithDecoderConcurrency(1),
	zstd.WithDecoderMaxWindow(zstdWindow),
}

// zstdEncoder is made on first use (its tables take ~20 MB) and shared:
// EncodeAll may be called concurrently and starts each stream afresh.
var zstdEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstdEncoderOptions...)
})

// compressZstd returns data compressed as one zstd stream with
// zstdEncoderOptions.
func compressZstd(data []byte) ([]byte, error) {
	enc, err := zstdEncoder()
	if err != nil {
		return nil, err
	}
	return enc.EncodeAll(data, nil), nil
}
