package oci

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// epoch is the timestamp of every built image, layer entry and history
// entry, so that the same input always gives the same digest.
var epoch = time.Unix(0, 0).UTC()

// WasmPath is where a Wasm image of the OCI layer form holds its module,
// and its entrypoint.
const WasmPath = "/function.wasm"

// WasmForm is how a Wasm image holds its module.
type WasmForm int

// Forms of Wasm images.
const (
	// FormOCILayer is an OCI image with one gzip layer holding
	// /function.wasm, entrypoint ["/function.wasm"] and platform
	// wasip1/wasm. Any registry and containerd handle it.
	FormOCILayer WasmForm = iota
	// FormArtifact is the CNCF Wasm OCI artifact: config media type
	// application/vnd.wasm.config.v0+json, one uncompressed layer
	// application/wasm.
	FormArtifact
)

// String names the form: "oci-layer" or "artifact".
func (f WasmForm) String() string {
	if f == FormArtifact {
		return "artifact"
	}
	return "oci-layer"
}

// WasmImage builds a Wasm image holding module, in the given form. The
// result is reproducible: the same module and form give the same digest
// (for the OCI layer form, with the same Go toolchain's compress/gzip).
//
// # Errors
// provider.ErrInvalid for an empty module or an unknown form.
func WasmImage(module []byte, form WasmForm) (v1.Image, error) {
	if len(module) == 0 {
		return nil, fmt.Errorf("build wasm image: empty module: %w", provider.ErrInvalid)
	}
	switch form {
	case FormOCILayer:
		img, err := layeredImage([]tarEntry{{name: strings.TrimPrefix(WasmPath, "/"), mode: 0o755, data: module}},
			v1.Platform{OS: "wasip1", Architecture: "wasm"},
			v1.Config{Entrypoint: []string{WasmPath}})
		if err != nil {
			return nil, fmt.Errorf("build wasm image: %w", err)
		}
		return img, nil
	case FormArtifact:
		img, err := newArtifact(module)
		if err != nil {
			return nil, fmt.Errorf("build wasm artifact: %w", err)
		}
		return img, nil
	default:
		return nil, fmt.Errorf("build wasm image: unknown form %d: %w", int(form), provider.ErrInvalid)
	}
}

// tarEntry is one file or directory (name ending in "/") of a built layer.
type tarEntry struct {
	name string
	mode int64
	data []byte
}

// layeredImage builds an OCI image FROM scratch with one gzip layer holding
// entries, with fixed timestamps, owner 0:0 and entries sorted by name.
func layeredImage(entries []tarEntry, platform v1.Platform, cfg v1.Config) (v1.Image, error) {
	tarBytes, err := buildTar(entries)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithCompressionLevel(gzip.DefaultCompression), tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.Append(img, mutate.Addendum{
		Layer:     layer,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: epoch}, CreatedBy: "faas-wasm oci"},
	})
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: epoch}
	cf.OS, cf.Architecture, cf.Variant = platform.OS, platform.Architecture, platform.Variant
	cf.Config = cfg
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return img, nil
}

// buildTar writes entries sorted by name, with parent directories added,
// fixed timestamps and owner 0:0.
func buildTar(entries []tarEntry) ([]byte, error) {
	all := map[string]tarEntry{}
	for _, e := range entries {
		name := strings.TrimPrefix(path.Clean("/"+e.name), "/")
		if name == "" {
			return nil, fmt.Errorf("layer entry %q has no name: %w", e.name, provider.ErrInvalid)
		}
		if strings.HasSuffix(e.name, "/") {
			name += "/"
		}
		e.name = name
		all[name] = e
		for dir := path.Dir(strings.TrimSuffix(name, "/")); dir != "."; dir = path.Dir(dir) {
			if _, ok := all[dir+"/"]; !ok {
				all[dir+"/"] = tarEntry{name: dir + "/", mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, n := range names {
		e := all[n]
		h := &tar.Header{Name: n, Mode: e.mode, ModTime: epoch, Format: tar.FormatPAX}
		if strings.HasSuffix(n, "/") {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("tar %s: %w", n, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("tar %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("tar: %w", err)
	}
	return buf.Bytes(), nil
}

// Size returns the compressed size of img as a registry stores it: the
// manifest, the config blob and every layer blob.
//
// # Errors
// Errors reading the manifest or layers (for remote images, as classified
// by this package).
func Size(img v1.Image) (int64, error) {
	raw, err := img.RawManifest()
	if err != nil {
		return 0, fmt.Errorf("size: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return 0, fmt.Errorf("size: %w", err)
	}
	n := int64(len(raw)) + m.Config.Size
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}
