// Command image is the image tool of the repository's scripts: it builds
// faas-wasm's own container images and test functions' images with package
// oci — no Docker, no base image — and pushes them to a registry or writes
// them as a tarball for `ctr images import`:
//
//	go run ./hack/image -kind provider -bin faas-wasm -ref 127.0.0.1:5000/faas-wasm:dev
//	go run ./hack/image -kind node-installer -bin nodeinstaller -shim-dir DIR -ref ...
//	go run ./hack/image -kind wasm -bin f.wasm [-artifact] -ref 127.0.0.1:5000/fn:1
//	go run ./hack/image -kind binary -bin fn -ref 127.0.0.1:5000/fn-native:1
//
// A wasm image holds the module in the OCI layer form (/function.wasm) or,
// with -artifact, the CNCF Wasm artifact form; a binary image is a
// FROM-scratch image of a static binary, the container twin of a Wasm test
// function.
// The provider image holds the (statically linked) faas-wasm binary as its
// entrypoint, the CA bundle for HTTPS registries, HOME=/tmp and user 65532.
// The node-installer image holds the installer as its entrypoint and the
// shim and runner under /faas-wasm for it to copy to the node. It prints
// the digest and the compressed size of each image.
//
// It does not compile anything: hack/image/build.sh builds the binaries.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// caBundle is where Debian keeps the system CA bundle; the provider needs it
// to inspect images on HTTPS registries.
const caBundle = "/etc/ssl/certs/ca-certificates.crt"

// Labels every image carries.
var baseLabels = map[string]string{
	"org.opencontainers.image.source": "https://github.com/faas-wasm/faas-wasm",
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	kind := fs.String("kind", "provider", "provider, node-installer, wasm or binary")
	bin := fs.String("bin", "", "the image's content: its entrypoint binary (faas-wasm, the node installer, a static function binary) or, for -kind wasm, the module")
	artifact := fs.Bool("artifact", false, "wasm: the CNCF Wasm artifact form instead of the OCI layer form")
	shimDir := fs.String("shim-dir", "", "node-installer: directory holding containerd-shim-faaswasm-v1 and faaswasm-runner")
	ca := fs.String("ca-bundle", caBundle, "provider: CA bundle to ship at "+caBundle+" (empty: none)")
	ref := fs.String("ref", "", "push to this image reference")
	tarPath := fs.String("tar", "", "write a docker-style tarball (tagged -ref, or faas-wasm/KIND:dev) here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bin == "" || (*ref == "" && *tarPath == "") {
		return errors.New("need -bin and at least one of -ref or -tar")
	}
	binary, err := os.ReadFile(*bin)
	if err != nil {
		return err
	}
	var img v1.Image
	switch *kind {
	case "provider":
		img, err = providerImage(binary, *ca)
	case "node-installer":
		img, err = installerImage(binary, *shimDir)
	case "wasm":
		form := oci.FormOCILayer
		if *artifact {
			form = oci.FormArtifact
		}
		img, err = oci.WasmImage(binary, form)
	case "binary":
		img, err = oci.ContainerImage(binary, oci.ContainerConfig{})
	default:
		return fmt.Errorf("-kind %q: want provider, node-installer, wasm or binary", *kind)
	}
	if err != nil {
		return err
	}
	size, err := oci.Size(img)
	if err != nil {
		return err
	}
	digest, err := img.Digest()
	if err != nil {
		return err
	}
	if *ref != "" {
		if _, err := oci.Push(ctx, img, *ref); err != nil {
			return err
		}
	}
	if *tarPath != "" {
		tag := *ref
		if tag == "" {
			tag = "faas-wasm/" + *kind + ":dev"
		}
		t, err := name.NewTag(tag)
		if err != nil {
			return fmt.Errorf("tarball tag %q: %w", tag, err)
		}
		if err := tarball.WriteToFile(*tarPath, t, img); err != nil {
			return fmt.Errorf("write %s: %w", *tarPath, err)
		}
	}
	fmt.Fprintf(out, "%s %s compressed_bytes=%d\n", *kind, digest, size)
	return nil
}

// providerImage wraps the faas-wasm binary; the chart passes its flags.
func providerImage(binary []byte, ca string) (v1.Image, error) {
	files := map[string][]byte{}
	if ca != "" {
		b, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("provider image: %w", err)
		}
		files[caBundle] = b
	}
	return oci.ContainerImage(binary, oci.ContainerConfig{
		Env:          []string{"HOME=/tmp", "SSL_CERT_FILE=" + caBundle},
		Labels:       withTitle("faas-wasm provider"),
		ExposedPorts: []string{"8081/tcp"},
		User:         "65532:65532",
		Files:        files,
	})
}

// installerImage wraps the node installer and the binaries it installs.
func installerImage(binary []byte, shimDir string) (v1.Image, error) {
	if shimDir == "" {
		return nil, errors.New("node-installer image: need -shim-dir")
	}
	files := map[string][]byte{}
	for _, b := range []string{"containerd-shim-faaswasm-v1", "faaswasm-runner"} {
		data, err := os.ReadFile(filepath.Join(shimDir, b))
		if err != nil {
			return nil, fmt.Errorf("node-installer image: %w", err)
		}
		files["/faas-wasm/"+b] = data
	}
	return oci.ContainerImage(binary, oci.ContainerConfig{
		Labels: withTitle("faas-wasm node installer"),
		Files:  files,
	})
}

func withTitle(title string) map[string]string {
	l := map[string]string{"org.opencontainers.image.title": title}
	for k, v := range baseLabels {
		l[k] = v
	}
	return l
}
