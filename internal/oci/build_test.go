package oci

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestReproducible(t *testing.T) {
	module := testModule(t)
	other := append(append([]byte(nil), module...), 0)
	cfg := ContainerConfig{
		Env:   []string{"A=1"},
		Files: map[string][]byte{"/etc/b": []byte("b"), "/etc/a": []byte("a"), "/data/x/y": []byte("y")},
	}
	builds := []struct {
		name  string
		build func(in []byte) (v1.Image, error)
	}{
		{"wasm oci layer", func(in []byte) (v1.Image, error) { return WasmImage(in, FormOCILayer) }},
		{"wasm artifact", func(in []byte) (v1.Image, error) { return WasmImage(in, FormArtifact) }},
		{"container", func(in []byte) (v1.Image, error) { return ContainerImage(in, cfg) }},
	}
	for _, b := range builds {
		t.Run(b.name, func(t *testing.T) {
			first, err := b.build(module)
			if err != nil {
				t.Fatal(err)
			}
			second, err := b.build(module)
			if err != nil {
				t.Fatal(err)
			}
			changed, err := b.build(other)
			if err != nil {
				t.Fatal(err)
			}
			if d1, d2 := digestOf(t, first), digestOf(t, second); d1 != d2 {
				t.Fatalf("same input, digests %s and %s", d1, d2)
			}
			if digestOf(t, first) == digestOf(t, changed) {
				t.Fatal("different input, same digest")
			}
		})
	}
}

// layerEntries lists the tar headers and contents of img's only layer.
func layerEntries(t *testing.T, img v1.Image) ([]*tar.Header, map[string][]byte) {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var hs []*tar.Header
	data := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return hs, data
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		hs, data[h.Name] = append(hs, h), b
	}
}

func TestContainerImage(t *testing.T) {
	binary := []byte("\x7fELF static binary")
	img, err := ContainerImage(binary, ContainerConfig{
		Env:   []string{"fprocess=/function"},
		Files: map[string][]byte{"/etc/motd": []byte("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs, data := layerEntries(t, img)
	wantNames := []string{"etc/", "etc/motd", "function", "tmp/"}
	if len(hs) != len(wantNames) {
		t.Fatalf("%d entries, want %v", len(hs), wantNames)
	}
	for i, h := range hs {
		if h.Name != wantNames[i] || h.Uid != 0 || h.Gid != 0 || h.ModTime.Unix() != 0 {
			t.Errorf("entry %d: %s uid %d gid %d mtime %v", i, h.Name, h.Uid, h.Gid, h.ModTime)
		}
	}
	if !bytes.Equal(data["function"], binary) || hs[2].Mode != 0o755 || hs[3].Mode != 0o1777 {
		t.Errorf("function mode %o, tmp mode %o", hs[2].Mode, hs[3].Mode)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cf.Config.ExposedPorts["8080/tcp"]; !ok || len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/function" || cf.OS != "linux" {
		t.Fatalf("config %+v", cf.Config)
	}
	m, err := img.Manifest()
	if err != nil || m.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Fatalf("manifest media type %v, %v", m.MediaType, err)
	}
}

func TestWasmImageLayout(t *testing.T) {
	module := testModule(t)
	img, err := WasmImage(module, FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	hs, data := layerEntries(t, img)
	if len(hs) != 1 || hs[0].Name != "function.wasm" || !bytes.Equal(data["function.wasm"], module) {
		t.Fatalf("entries %v", hs)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "wasip1" || cf.Architecture != "wasm" || cf.Config.Entrypoint[0] != "/function.wasm" {
		t.Fatalf("config %+v", cf)
	}

	art, err := WasmImage(module, FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	m, err := art.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.MediaType != MediaTypeWasmConfig || len(m.Layers) != 1 || m.Layers[0].MediaType != MediaTypeWasmLayer || m.Layers[0].Size != int64(len(module)) {
		t.Fatalf("artifact manifest %+v", m)
	}
	size, err := Size(art)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := art.RawManifest()
	cfg, _ := art.RawConfigFile()
	if want := int64(len(module) + len(raw) + len(cfg)); size != want {
		t.Fatalf("Size %d, want %d", size, want)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		build func() (v1.Image, error)
	}{
		{"empty module", func() (v1.Image, error) { return WasmImage(nil, FormOCILayer) }},
		{"unknown form", func() (v1.Image, error) { return WasmImage([]byte("\x00asm"), WasmForm(7)) }},
		{"empty binary", func() (v1.Image, error) { return ContainerImage(nil, ContainerConfig{}) }},
		{"bad platform", func() (v1.Image, error) { return ContainerImage([]byte("x"), ContainerConfig{Platform: "linux"}) }},
		{"relative file", func() (v1.Image, error) {
			return ContainerImage([]byte("x"), ContainerConfig{Files: map[string][]byte{"etc/a": nil}})
		}},
		{"file over binary", func() (v1.Image, error) {
			return ContainerImage([]byte("x"), ContainerConfig{Files: map[string][]byte{"/function": nil}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.build(); !errors.Is(err, provider.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}
