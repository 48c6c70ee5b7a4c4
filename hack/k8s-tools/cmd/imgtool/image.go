package main

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// epoch is the fixed timestamp of every file and config, so that images are reproducible.
var epoch = time.Unix(0, 0).UTC()

// binaryImage returns a linux/amd64 image whose only file is the binary at /<base name>,
// which is also its entrypoint.
func binaryImage(binPath string, port int) (v1.Image, error) {
	data, err := os.ReadFile(binPath)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	base := filepath.Base(binPath)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: base, Mode: 0o755, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("layer header: %w", err)
	}
	if _, err := tw.Write(data); err != nil {
		return nil, fmt.Errorf("layer body: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer close: %w", err)
	}
	layerBytes := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	// Start from the image's own config: it carries the layer's diff ID (rootfs).
	orig, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg := orig.DeepCopy()
	cfg.Architecture = "amd64"
	cfg.OS = "linux"
	cfg.Created = v1.Time{Time: epoch}
	cfg.Config.Entrypoint = []string{"/" + base}
	cfg.Config.Env = []string{"PATH=/"}
	if port > 0 {
		cfg.Config.ExposedPorts = map[string]struct{}{strconv.Itoa(port) + "/tcp": {}}
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return img, nil
}

// writeTar writes the image as a docker-archive tar (what `ctr images import` reads).
func writeTar(binPath, ref, out string, port int) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("tar %s: %w", ref, err)
	}
	img, err := binaryImage(binPath, port)
	if err != nil {
		return fmt.Errorf("tar %s: %w", ref, err)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return fmt.Errorf("tar %s: %w", ref, err)
	}
	return nil
}

// push uploads the image to a loopback registry over plain HTTP and returns its digest.
func push(ctx context.Context, binPath, ref string, port int) (string, error) {
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	if err := requireLoopback(r.Context().RegistryStr()); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	img, err := binaryImage(binPath, port)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	if err := remote.Write(r, img, remote.WithContext(ctx)); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	digest, err := img.Digest()
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	return digest.String(), nil
}

// requireLoopback refuses any host:port whose host is not a loopback IP or "localhost".
func requireLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%s is not a loopback address", hostport)
}
