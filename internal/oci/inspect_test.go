package oci

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// index builds an OCI index of imgs, each entry carrying its config's platform.
func index(t *testing.T, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: cf.Platform()}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

// dockerImage builds a Docker schema 2 image with one layer and a platform.
func dockerImage(t *testing.T, os, arch string) v1.Image {
	t.Helper()
	b, err := buildTar([]tarEntry{{name: "function.wasm", mode: 0o755, data: []byte(os + "/" + arch)}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(b, types.DockerUncompressedLayer))
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = os, arch
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestInspect(t *testing.T) {
	host := ocitest.NewRegistry(t)
	module := testModule(t)
	wasmLayer, err := WasmImage(module, FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	artifact, err := WasmImage(module, FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	amd64, err := ContainerImage([]byte("amd64 binary"), ContainerConfig{Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	arm64, err := ContainerImage([]byte("arm64 binary"), ContainerConfig{Platform: "linux/arm64"})
	if err != nil {
		t.Fatal(err)
	}
	host64, err := ContainerImage([]byte("host binary"), ContainerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	wasi := layered(t, nil, []tarEntry{{name: "function.wasm", mode: 0o755, data: module}})
	docker := dockerImage(t, "linux", "amd64")
	dockerWasm := dockerImage(t, "wasip1", "wasm")
	mixed := index(t, amd64, wasmLayer, arm64)
	list := mutate.IndexMediaType(index(t, docker, dockerWasm), types.DockerManifestList)
	natives := index(t, amd64, arm64)
	for ref, img := range map[string]v1.Image{"wasm:layer": wasmLayer, "wasm:artifact": artifact,
		"native:amd64": amd64, "native:host": host64, "wasm:wasi": wasi,
		"docker:amd64": docker, "docker:wasm": dockerWasm} {
		mustPush(t, img, host+"/"+ref)
	}
	for ref, idx := range map[string]v1.ImageIndex{"multi:mixed": mixed, "multi:natives": natives, "multi:docker": list} {
		if _, err := PushIndex(testCtx(t), idx, host+"/"+ref); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name        string
		ref         string
		opts        []Option
		kind        Kind
		form        WasmForm
		platform    string
		digest      v1.Image
		indexDigest v1.ImageIndex
	}{
		{"wasm oci layer", "wasm:layer", nil, KindWasm, FormOCILayer, "wasip1/wasm", wasmLayer, nil},
		{"wasm artifact", "wasm:artifact", nil, KindWasm, FormArtifact, "wasip1/wasm", artifact, nil},
		{"wasi platform", "wasm:wasi", nil, KindWasm, FormOCILayer, "wasi/wasm", wasi, nil},
		{"container amd64", "native:amd64", nil, KindContainer, FormOCILayer, "linux/amd64", amd64, nil},
		{"container host arch", "native:host", nil, KindContainer, FormOCILayer, "linux/" + runtime.GOARCH, host64, nil},
		{"index prefers wasm", "multi:mixed", []Option{WithPlatform("linux/arm64")}, KindWasm, FormOCILayer, "wasip1/wasm", wasmLayer, mixed},
		{"index picks platform", "multi:natives", []Option{WithPlatform("linux/arm64")}, KindContainer, FormOCILayer, "linux/arm64", arm64, natives},
		{"docker schema 2", "docker:amd64", nil, KindContainer, FormOCILayer, "linux/amd64", docker, nil},
		{"docker schema 2 wasm", "docker:wasm", nil, KindWasm, FormOCILayer, "wasip1/wasm", dockerWasm, nil},
		{"docker manifest list", "multi:docker", nil, KindWasm, FormOCILayer, "wasip1/wasm", dockerWasm, list},
		{"index picks amd64", "multi:natives", []Option{WithPlatform("linux/amd64")}, KindContainer, FormOCILayer, "linux/amd64", amd64, natives},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, info, err := Inspect(testCtx(t), host+"/"+tt.ref, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if kind != tt.kind || info.Platform != tt.platform || (kind == KindWasm && info.Form != tt.form) {
				t.Fatalf("got %v %s %v, want %v %s %v", kind, info.Platform, info.Form, tt.kind, tt.platform, tt.form)
			}
			if want := digestOf(t, tt.digest); info.Digest != want {
				t.Fatalf("Digest %s, want %s", info.Digest, want)
			}
			wantIndex := ""
			if tt.indexDigest != nil {
				wantIndex = digestOf(t, tt.indexDigest)
			}
			if info.IndexDigest != wantIndex || info.Registry != host {
				t.Fatalf("IndexDigest %q registry %q, want %q %q", info.IndexDigest, info.Registry, wantIndex, host)
			}
			size, err := Size(tt.digest)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != size {
				t.Fatalf("Inspect size %d, Size %d", info.Size, size)
			}
		})
	}
	t.Run("index without match", func(t *testing.T) {
		_, _, err := Inspect(testCtx(t), host+"/multi:natives", WithPlatform("linux/s390x"))
		if !errors.Is(err, provider.ErrImage) || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "linux/s390x") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestInspectErrors(t *testing.T) {
	host := ocitest.NewRegistry(t)
	closed := ocitest.ClosedAddr(t)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	t.Cleanup(hang.Close)
	hangHost := strings.TrimPrefix(hang.URL, "http://")
	tests := []struct {
		name    string
		ref     string
		opts    []Option
		classes []error
		not     []error
		msg     string
	}{
		{"not found", host + "/missing:v1", nil, []error{ErrNotFound, provider.ErrImage}, []error{ErrUnreachable},
			"image " + host + "/missing:v1 not found in registry " + host},
		{"digest not found", host + "/missing@sha256:" + strings.Repeat("ab", 32), nil, []error{ErrNotFound, provider.ErrImage}, nil, "not found"},
		{"unreachable", closed + "/fn:v1", nil, []error{ErrUnreachable, provider.ErrImage}, []error{ErrNotFound},
			"registry " + closed + " unreachable: "},
		{"timeout", hangHost + "/fn:v1", []Option{WithTimeout(300 * time.Millisecond)}, []error{ErrUnreachable, provider.ErrImage}, nil, "unreachable"},
		{"empty", "", nil, []error{ErrInvalidReference, provider.ErrInvalid}, []error{provider.ErrImage}, "malformed"},
		{"upper case repo", host + "/Fn:v1", nil, []error{ErrInvalidReference, provider.ErrInvalid}, nil, "malformed"},
		{"space", "fn :v1", nil, []error{ErrInvalidReference, provider.ErrInvalid}, nil, "malformed"},
		{"bad digest", host + "/fn@sha256:abc", nil, []error{ErrInvalidReference, provider.ErrInvalid}, nil, "malformed"},
		{"double tag", host + "/fn:v1:v2", nil, []error{ErrInvalidReference, provider.ErrInvalid}, nil, "malformed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, _, err := Inspect(testCtx(t), tt.ref, tt.opts...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, c := range tt.classes {
				if !errors.Is(err, c) {
					t.Errorf("err %q is not %v", err, c)
				}
			}
			for _, c := range tt.not {
				if errors.Is(err, c) {
					t.Errorf("err %q is %v", err, c)
				}
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err %q does not contain %q", err, tt.msg)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}
