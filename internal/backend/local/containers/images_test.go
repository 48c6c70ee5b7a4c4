package containers

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// Test images, by name:
//
//	echo   the project's watchdog as entrypoint with fprocess=/bin/fntool
//	       (a classic-watchdog image; fntool echoes or acts on Http_Query)
//	crash  fntool exit 3 as entrypoint (crash loop)
//	sleep  fntool sleep as entrypoint (port 8080 never opens)
//	sick   fntool unhealthy as entrypoint (/_/health answers 503)
//	arch   the echo program built for another architecture
const (
	imgEcho  = "echo"
	imgCrash = "crash"
	imgSleep = "sleep"
	imgSick  = "sick"
	imgArch  = "arch"
)

// buildImages compiles the watchdog and fntool statically, builds the test
// images with the project's image builder (oci) and pushes them to the
// loopback registry.
func (h *harness) buildImages() error {
	bin := h.BinDir()
	watchdog, err := goBuild(bin, "watchdog", "github.com/faas-wasm/faas-wasm/test/watchdog")
	if err != nil {
		return err
	}
	fntool, err := goBuild(bin, "fntool", "./testdata/fntool")
	if err != nil {
		return err
	}
	toolLayer, err := fileLayer("bin/fntool", fntool)
	if err != nil {
		return err
	}
	other := "arm64"
	if runtime.GOARCH == "arm64" {
		other = "amd64"
	}
	build := map[string]func() (v1.Image, error){
		imgEcho: func() (v1.Image, error) {
			base, err := oci.ContainerImage(watchdog, oci.ContainerConfig{Env: []string{"fprocess=/bin/fntool"}})
			if err != nil {
				return nil, err
			}
			return mutate.AppendLayers(base, toolLayer)
		},
		imgCrash: func() (v1.Image, error) {
			return oci.ContainerImage(fntool, oci.ContainerConfig{Entrypoint: []string{"/function", "exit", "3"}})
		},
		imgSleep: func() (v1.Image, error) {
			return oci.ContainerImage(fntool, oci.ContainerConfig{Entrypoint: []string{"/function", "sleep"}})
		},
		imgSick: func() (v1.Image, error) {
			return oci.ContainerImage(fntool, oci.ContainerConfig{Entrypoint: []string{"/function", "unhealthy"}})
		},
		imgArch: func() (v1.Image, error) {
			return oci.ContainerImage(fntool, oci.ContainerConfig{Platform: "linux/" + other})
		},
	}
	h.images = make(map[string]string)
	// Pushing compresses the layers: 2m23s under -race at load 25 (2 cores).
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for name, fn := range build {
		img, err := fn()
		if err != nil {
			return fmt.Errorf("build image %s: %w", name, err)
		}
		ref := h.host + "/test/" + name + ":1"
		if _, err := oci.Push(ctx, img, ref); err != nil {
			return fmt.Errorf("push %s: %w", ref, err)
		}
		h.images[name] = ref
	}
	return nil
}

// goBuild builds a static binary of pkg into dir and returns its bytes.
func goBuild(dir, name, pkg string) ([]byte, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out := filepath.Join(dir, name)
	cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build %s: %v\n%s", pkg, err, b)
	}
	return os.ReadFile(out)
}

// fileLayer returns a layer holding one executable file (and its directory).
func fileLayer(path string, data []byte) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	if err := tw.WriteHeader(&tar.Header{Name: filepath.Dir(path) + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: epoch}); err != nil {
		return nil, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: path, Typeflag: tar.TypeReg, Mode: 0o755, Size: int64(len(data)), ModTime: epoch}); err != nil {
		return nil, err
	}
	if _, err := tw.Write(data); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
}
