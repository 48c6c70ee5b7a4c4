package shim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	containersapi "github.com/containerd/containerd/api/services/containers/v1"
	contentapi "github.com/containerd/containerd/api/services/content/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/log"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// wasmLayerTypes are the layer media types of Wasm OCI artifacts: the CNCF
// artifact's and the two older ones runwasi reads.
var wasmLayerTypes = map[string]bool{
	"application/wasm":                                  true,
	"application/vnd.wasm.content.layer.v1+wasm":        true,
	"application/vnd.module.wasm.content.layer.v1+wasm": true,
}

// maxManifest bounds manifests and indexes read from the content store.
const maxManifest = 4 << 20

// imageStore reads a container's image from containerd over its gRPC API.
type imageStore struct {
	conn       *grpc.ClientConn
	containers containersapi.ContainersClient
	images     imagesapi.ImagesClient
	content    contentapi.ContentClient
}

func dialImageStore(address string) (*imageStore, error) {
	conn, err := grpc.Dial("unix://"+strings.TrimPrefix(address, "unix://"),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, fmt.Errorf("connect to containerd at %s: %w", address, err)
	}
	return &imageStore{conn: conn, containers: containersapi.NewContainersClient(conn),
		images: imagesapi.NewImagesClient(conn), content: contentapi.NewContentClient(conn)}, nil
}

// copyBlob writes the blob dgst of the content store to w, refusing one of
// more than limit bytes, and returns its size.
func (s *imageStore) copyBlob(ctx context.Context, dgst string, w io.Writer, limit int64) (int64, error) {
	stream, err := s.content.Read(ctx, &contentapi.ReadContentRequest{Digest: dgst})
	if err != nil {
		return 0, errdefs.FromGRPC(err)
	}
	var n int64
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, errdefs.FromGRPC(err)
		}
		if n += int64(len(msg.Data)); n > limit {
			return n, fmt.Errorf("blob %s larger than %d bytes: %w", dgst, limit, errdefs.ErrInvalidArgument)
		}
		if _, err := w.Write(msg.Data); err != nil {
			return n, err
		}
	}
}

// blobFile copies the blob of layer into a new file in dir (named after
// pattern, see os.CreateTemp), refusing one of more than limit bytes or
// that does not match its digest, and returns the file's path: the caller
// renames or removes it.
func (s *imageStore) blobFile(ctx context.Context, layer ocispec.Descriptor, dir, pattern string, limit int64) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	v := layer.Digest.Verifier()
	_, err = s.copyBlob(ctx, layer.Digest.String(), io.MultiWriter(tmp, v), limit)
	if err := errors.Join(err, tmp.Close()); err != nil {
		os.Remove(tmp.Name())
		return "", err
	}
	if !v.Verified() {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("blob does not match its digest %s: %w", layer.Digest, errdefs.ErrInvalidArgument)
	}
	return tmp.Name(), nil
}

func (s *imageStore) read(ctx context.Context, dgst string, limit int64) ([]byte, error) {
	var b bytes.Buffer
	_, err := s.copyBlob(ctx, dgst, &b, limit)
	return b.Bytes(), err
}

// findLayer finds the first layer that match accepts in the manifest (or
// in the first manifest of an index that has one) at dgst.
func (s *imageStore) findLayer(ctx context.Context, dgst string, depth int, match func(ocispec.Descriptor) bool) (ocispec.Descriptor, error) {
	data, err := s.read(ctx, dgst, maxManifest)
	if err != nil {
		return ocispec.Descriptor{}, err
	}
	var m struct {
		Manifests []ocispec.Descriptor `json:"manifests"`
		Layers    []ocispec.Descriptor `json:"layers"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("manifest %s: %w", dgst, err)
	}
	for _, l := range m.Layers {
		if match(l) {
			return l, nil
		}
	}
	if depth < 2 {
		for _, d := range m.Manifests {
			if l, err := s.findLayer(ctx, d.Digest.String(), depth+1, match); err == nil {
				return l, nil
			}
		}
	}
	return ocispec.Descriptor{}, errdefs.ErrNotFound
}

// containerImage connects to containerd's API at address and returns the
// name of container id's image. The caller closes s.conn.
func containerImage(ctx context.Context, address, id string) (s *imageStore, image string, err error) {
	if address == "" {
		return nil, "", fmt.Errorf("image of %s: containerd's address is unknown: %w", id, errdefs.ErrNotFound)
	}
	st, err := dialImageStore(address)
	if err != nil {
		return nil, "", err
	}
	c, err := st.containers.Get(ctx, &containersapi.GetContainerRequest{ID: id})
	if err != nil {
		st.conn.Close()
		return nil, "", fmt.Errorf("image of %s: %w", id, errdefs.FromGRPC(err))
	}
	if c.Container.Image == "" {
		st.conn.Close()
		return nil, "", fmt.Errorf("container %s has no image: %w", id, errdefs.ErrNotFound)
	}
	return st, c.Container.Image, nil
}

// imageLayer finds the layer of the image called image that match accepts
// (what names it in errors). Errors wrap errdefs.ErrNotFound when the
// image has none.
func (s *imageStore) imageLayer(ctx context.Context, image, what string, match func(ocispec.Descriptor) bool) (ocispec.Descriptor, error) {
	img, err := s.images.Get(ctx, &imagesapi.GetImageRequest{Name: image})
	if err != nil {
		return ocispec.Descriptor{}, fmt.Errorf("image %s: %w", image, errdefs.FromGRPC(err))
	}
	layer, err := s.findLayer(ctx, img.Image.Target.Digest, 0, match)
	if err != nil {
		if errors.Is(err, errdefs.ErrNotFound) {
			return layer, fmt.Errorf("image %s has no %s layer: %w", image, what, err)
		}
		return layer, fmt.Errorf("image %s: %w", image, err)
	}
	return layer, checkLayerDigest(image, layer)
}

// checkLayerDigest refuses a layer of image whose digest is not a valid
// SHA-256 one (the blob is named and verified by it).
func checkLayerDigest(image string, layer ocispec.Descriptor) error {
	if err := layer.Digest.Validate(); err != nil || layer.Digest.Algorithm() != digest.SHA256 {
		return fmt.Errorf("image %s: layer digest %q: %w", image, layer.Digest, errdefs.ErrInvalidArgument)
	}
	return nil
}

// moduleFromImage finds the Wasm layer of container id's image in
// containerd's content store and stores it once per node as
// cacheDir/modules/<digest>.wasm, whose path it returns. Those files are
// bounded to limit bytes (0: no bound), least recently used removed first
// (package diskcache); a removed one is stored again when next needed.
func moduleFromImage(ctx context.Context, address, ns, id, cacheDir string, limit int64) (string, error) {
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(ctx, ns), 30*time.Second)
	defer cancel()
	s, image, err := containerImage(ctx, address, id)
	if err != nil {
		return "", err
	}
	defer s.conn.Close()
	layer, err := s.imageLayer(ctx, image, "Wasm", func(d ocispec.Descriptor) bool { return wasmLayerTypes[d.MediaType] })
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheDir, "modules")
	path := filepath.Join(dir, layer.Digest.Encoded()+".wasm")
	if err := diskcache.Use(dir, path); err == nil {
		return path, nil
	}
	tmp, err := s.blobFile(ctx, layer, dir, ".module-*", 1<<30)
	if err != nil {
		return "", fmt.Errorf("image %s: read Wasm layer: %w", image, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("module cache: %w", err)
	}
	if _, err := diskcache.Trim(dir, ".wasm", limit, path); err != nil {
		log.G(ctx).WithError(err).Warn("faaswasm: module cache trim failed")
	}
	return path, nil
}

// precompiledLayer copies a precompiled layer (media type
// precompiled.LayerMediaType) of the module whose digest is module
// ("sha256:<hex>", the layer's claim) out of containerd's content store
// into a new file in dir, checked against its digest, for the runner's
// -precompile: the caller removes its Path. It returns the name of the
// image that had it.
//
// It looks in container id's image first, then in the namespace's other
// images: the CRI plugin names a container's image by the first of the
// references that share its config digest (its image ID), so the pod of a
// signed image whose unsigned twin (same module, same config: a
// reproducible build) was pulled before runs "from" the twin, which has no
// precompiled layer. Which image carried the layer does not matter: the
// runner installs it only when a trusted key signed it for this module and
// engine.
//
// Errors wrap errdefs.ErrNotFound when no image has such a layer
// (containerd keeps every layer of an image it pulled, unless its CRI
// plugin discards unpacked layers).
func precompiledLayer(ctx context.Context, address, ns, id, module, dir string) (*runspec.PrecompiledLayer, string, error) {
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(ctx, ns), 30*time.Second)
	defer cancel()
	s, image, err := containerImage(ctx, address, id)
	if err != nil {
		return nil, "", err
	}
	defer s.conn.Close()
	match := func(d ocispec.Descriptor) bool {
		return d.MediaType == precompiled.LayerMediaType && d.Annotations[precompiled.AnnotationModule] == module
	}
	what := "precompiled (module " + module + ")"
	from := image
	layer, err := s.imageLayer(ctx, image, what, match)
	if errors.Is(err, errdefs.ErrNotFound) {
		from, layer, err = s.otherImagesLayer(ctx, image, what, match)
	}
	if err != nil {
		return nil, "", err
	}
	path, err := s.blobFile(ctx, layer, dir, ".precompiled-*", layer.Size)
	if err != nil {
		return nil, "", fmt.Errorf("image %s: read precompiled layer: %w", from, err)
	}
	return &runspec.PrecompiledLayer{Path: path, Annotations: layer.Annotations}, from, nil
}

// otherImagesLayer finds the first layer that match accepts in the images
// of the namespace other than image (each manifest read once) and returns
// the name of the image that has it. Errors wrap errdefs.ErrNotFound when
// none has one.
func (s *imageStore) otherImagesLayer(ctx context.Context, image, what string, match func(ocispec.Descriptor) bool) (string, ocispec.Descriptor, error) {
	list, err := s.images.List(ctx, &imagesapi.ListImagesRequest{})
	if err != nil {
		return "", ocispec.Descriptor{}, fmt.Errorf("list images: %w", errdefs.FromGRPC(err))
	}
	seen, others := map[string]bool{}, 0
	for _, img := range list.Images {
		if img.Name == image {
			seen[img.Target.Digest] = true
		}
	}
	for _, img := range list.Images {
		if seen[img.Target.Digest] {
			continue
		}
		seen[img.Target.Digest] = true
		others++
		if layer, err := s.findLayer(ctx, img.Target.Digest, 0, match); err == nil {
			return img.Name, layer, checkLayerDigest(img.Name, layer)
		}
	}
	return "", ocispec.Descriptor{}, fmt.Errorf("neither image %s nor the %d other images of the node have a %s layer: %w",
		image, others, what, errdefs.ErrNotFound)
}
