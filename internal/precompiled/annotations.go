package precompiled

import (
	"encoding/base64"
	"fmt"
)

// LayerMediaType is the media type of the optional layer of a Wasm image holding
// its module precompiled for one engine: a zstd-compressed tar with the one
// file function.cwasm (package precompiled/layer encodes and reads it),
// its claims in the layer descriptor's annotations (see
// Claims.Annotations).
// Readers check it with KeyRing.Check.
//
// The layer comes after the module's, which stays the image's first layer;
// the config (the OCI layer form's rootfs.diff_ids, the artifact's
// layerDigests) does not list it. Readers that do not know the type skip
// it: containerd unpacks only layer media types (it still fetches the blob
// into its content store, where the node shim finds it); an
// application/wasm reader takes the application/wasm layer; a faas-wasm
// older than the layer looks for /function.wasm from the top layer down
// (decompressing zstd) and finds none in this tar. It is a tar rather than
// the raw bytes for that last reader, and for any runtime that unpacks
// every layer: it gets a harmless file.
//
// It is compressed with zstd (fixed settings, so that the same code gives
// the same digest): a Go module's native code
// shrinks to ~38% (prime-numbers: 20.1 MB to 7.6 MB) and decompresses in
// ~26 ms, where gzip (same ratio) took ~140 ms. Layers of the earlier
// uncompressed type (…precompiled.v1.cwasm.tar, never released) are not
// read: such an image's module is compiled.
const LayerMediaType = "application/vnd.faas-wasm.precompiled.v2.cwasm.tar+zstd"

// Annotations of the precompiled layer's descriptor: the Claims.
const (
	AnnotationEngine    = "com.faas-wasm.precompiled.engine"
	AnnotationModule    = "com.faas-wasm.precompiled.module"
	AnnotationKey       = "com.faas-wasm.precompiled.key"
	AnnotationSignature = "com.faas-wasm.precompiled.signature"
)

// Annotations returns c as the precompiled layer descriptor's annotations
// (the key and signature only when set).
func (c Claims) Annotations() map[string]string {
	ann := map[string]string{AnnotationEngine: c.Engine, AnnotationModule: c.Module}
	if c.KeyID != "" {
		ann[AnnotationKey] = c.KeyID
	}
	if len(c.Signature) > 0 {
		ann[AnnotationSignature] = base64.StdEncoding.EncodeToString(c.Signature)
	}
	return ann
}

// ParseAnnotations returns the claims of a precompiled layer's descriptor
// annotations (untrusted: KeyRing.Check decides).
//
// # Errors
// A signature annotation that is not base64.
func ParseAnnotations(ann map[string]string) (Claims, error) {
	c := Claims{Engine: ann[AnnotationEngine], Module: ann[AnnotationModule], KeyID: ann[AnnotationKey]}
	if s := ann[AnnotationSignature]; s != "" {
		sig, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return Claims{}, fmt.Errorf("precompiled layer signature annotation: %w", err)
		}
		c.Signature = sig
	}
	return c, nil
}
