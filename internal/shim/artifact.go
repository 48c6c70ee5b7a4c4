package shim

import (
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

func (s *imageStore) read(ctx context.Context, dgst string, limit int64) ([]byte, error) {
	stream, err := s.content.Read(ctx, &contentapi.ReadContentRequest{Digest: dgst})
	if err != nil {
		return nil, errdefs.FromGRPC(err)
	}
	var out []byte
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, errdefs.FromGRPC(err)
		}
		out = append(out, msg.Data...)
		if int64(len(out)) > limit {
			return nil, fmt.Errorf("blob %s larger than %d bytes: %w", dgst, limit, errdefs.ErrInvalidArgument)
		}
	}
}

// wasmLayer finds the Wasm layer of the manifest (or of the first manifest
// of an index that has one) at dgst.
func (s *imageStore) wasmLayer(ctx context.Context, dgst string, depth int) (ocispec.Descriptor, error) {
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
		if wasmLayerTypes[l.MediaType] {
			return l, nil
		}
	}
	if depth < 2 {
		for _, d := range m.Manifests {
			if l, err := s.wasmLayer(ctx, d.Digest.String(), depth+1); err == nil {
				return l, nil
			}
		}
	}
	return ocispec.Descriptor{}, fmt.Errorf("image has no Wasm layer: %w", errdefs.ErrNotFound)
}

// moduleFromImage finds the Wasm layer of container id's image in
// containerd's content store and stores it once per node as
// cacheDir/modules/<digest>.wasm, whose path it returns. Those files are
// bounded to limit bytes (0: no bound), least recently used removed first
// (package diskcache); a removed one is stored again when next needed.
func moduleFromImage(ctx context.Context, address, ns, id, cacheDir string, limit int64) (string, error) {
	if address == "" {
		return "", fmt.Errorf("image of %s: containerd's address is unknown: %w", id, errdefs.ErrNotFound)
	}
	ctx, cancel := context.WithTimeout(namespaces.WithNamespace(ctx, ns), 30*time.Second)
	defer cancel()
	s, err := dialImageStore(address)
	if err != nil {
		return "", err
	}
	defer s.conn.Close()
	c, err := s.containers.Get(ctx, &containersapi.GetContainerRequest{ID: id})
	if err != nil {
		return "", fmt.Errorf("image of %s: %w", id, errdefs.FromGRPC(err))
	}
	if c.Container.Image == "" {
		return "", fmt.Errorf("container %s has no image: %w", id, errdefs.ErrNotFound)
	}
	img, err := s.images.Get(ctx, &imagesapi.GetImageRequest{Name: c.Container.Image})
	if err != nil {
		return "", fmt.Errorf("image %s: %w", c.Container.Image, errdefs.FromGRPC(err))
	}
	layer, err := s.wasmLayer(ctx, img.Image.Target.Digest, 0)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", c.Container.Image, err)
	}
	if err := layer.Digest.Validate(); err != nil || layer.Digest.Algorithm() != digest.SHA256 {
		return "", fmt.Errorf("image %s: layer digest %q: %w", c.Container.Image, layer.Digest, errdefs.ErrInvalidArgument)
	}
	dir := filepath.Join(cacheDir, "modules")
	path := filepath.Join(dir, layer.Digest.Encoded()+".wasm")
	if err := diskcache.Touch(path); err == nil {
		return path, nil
	}
	data, err := s.read(ctx, layer.Digest.String(), 1<<30)
	if err != nil {
		return "", fmt.Errorf("image %s: read Wasm layer: %w", c.Container.Image, err)
	}
	if digest.FromBytes(data) != layer.Digest {
		return "", fmt.Errorf("image %s: Wasm layer does not match its digest: %w", c.Container.Image, errdefs.ErrInvalidArgument)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("module cache: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".module-*")
	if err != nil {
		return "", fmt.Errorf("module cache: %w", err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("module cache: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("module cache: %w", err)
	}
	if _, err := diskcache.Trim(dir, ".wasm", limit, path); err != nil {
		log.G(ctx).WithError(err).Warn("faaswasm: module cache trim failed")
	}
	return path, nil
}
