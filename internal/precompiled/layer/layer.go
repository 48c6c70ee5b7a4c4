// Package layer encodes and decodes the blob of the image layer that
// carries a Wasm module's precompiled native code (media type
// precompiled.LayerMediaType): a zstd-compressed tar holding File. Package
// oci adds and pulls the layer with go-containerregistry; the node's runner
// (shim/runner) reads the blob the shim copies out of containerd's content
// store. It is apart from package precompiled so that the shim, which
// finds the layer and checks key files, does not link zstd.
package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// File names the file of the precompiled layer's tar.
const File = "function.cwasm"

// MaxSize is the default bound of a precompiled layer read,
// compressed and uncompressed (a Go module's native code is ~3x the
// module).
const MaxSize = 1 << 30

// ErrTooBig is the reason of a precompiled layer over the size limit.
var ErrTooBig = errors.New("precompiled layer exceeds the size limit")

// Read returns the file File of the precompiled layer blob r (a
// zstd tar), refusing one whose file is over limit bytes (ErrTooBig). The
// caller bounds and verifies the compressed blob.
//
// # Errors
// ErrTooBig; malformed zstd or tar; a tar without File.
func Read(r io.Reader, limit int64) ([]byte, error) {
	zr, err := zstd.NewReader(r, zstdDecoderOptions...)
	if err != nil {
		return nil, fmt.Errorf("reading precompiled layer: %w", err)
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("precompiled layer has no file %s", File)
		}
		if err != nil {
			return nil, fmt.Errorf("reading precompiled layer: %w", err)
		}
		if h.Name != File || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > limit {
			return nil, fmt.Errorf("%w: %s is %d bytes, limit %d", ErrTooBig, File, h.Size, limit)
		}
		var buf bytes.Buffer
		buf.Grow(int(h.Size))
		if _, err := io.Copy(&buf, tr); err != nil {
			return nil, fmt.Errorf("reading precompiled layer: %w", err)
		}
		return buf.Bytes(), nil
	}
}

// Compress returns the precompiled layer's blob of tarBytes (a tar
// holding File): one zstd stream with zstdEncoderOptions, so the same
// tar always gives the same blob.
//
// # Errors
// When the encoder cannot be made.
func Compress(tarBytes []byte) ([]byte, error) {
	enc, err := zstdEncoder()
	if err != nil {
		return nil, err
	}
	return enc.EncodeAll(tarBytes, nil), nil
}

// zstdEncoderOptions are fixed so that compressing the same bytes gives the
// same layer digest: one goroutine, the "better" level (measured on the
// native code of prime-numbers' Go module: 37.9% in 0.46 s against the
// default level's 43.0%; the "best" level took 1.9 s for 36.1% and decodes
// slower), an 8 MiB window, checksums.
var zstdEncoderOptions = []zstd.EOption{
	zstd.WithEncoderConcurrency(1),
	zstd.WithEncoderLevel(zstd.SpeedBetterCompression),
	zstd.WithWindowSize(ZstdWindow),
	zstd.WithEncoderCRC(true),
}

// ZstdWindow is the encoder's window, and the largest a precompiled
// layer's decoder accepts (it bounds the decoder's memory).
const ZstdWindow = 8 << 20

// zstdDecoderOptions are a precompiled layer's decoder's: one goroutine
// (decoding as the layer is read), at most a ZstdWindow window.
var zstdDecoderOptions = []zstd.DOption{
	zstd.WithDecoderConcurrency(1),
	zstd.WithDecoderMaxWindow(ZstdWindow),
}

// zstdEncoder is made on first use (its tables take ~20 MB) and shared:
// EncodeAll may be called concurrently and starts each stream afresh.
var zstdEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstdEncoderOptions...)
})
