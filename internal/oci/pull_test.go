package oci

import (
	"bytes"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

func TestPullWasmRoundTrip(t *testing.T) {
	host := ocitest.NewRegistry(t)
	module := testModule(t)
	for _, form := range []WasmForm{FormOCILayer, FormArtifact} {
		t.Run(form.String(), func(t *testing.T) {
			img, err := WasmImage(module, form)
			if err != nil {
				t.Fatal(err)
			}
			ref := host + "/fn/echo-" + form.String() + ":v1"
			digest := mustPush(t, img, ref)
			if want := digestOf(t, img); digest != want {
				t.Fatalf("Push digest %s, image digest %s", digest, want)
			}
			got, err := PullWasm(testCtx(t), ref)
			if err != nil {
				t.Fatalf("PullWasm: %v", err)
			}
			if !bytes.Equal(got.Module, module) {
				t.Fatalf("pulled %d bytes, pushed %d (or content differs)", len(got.Module), len(module))
			}
			if got.Digest != digest || got.Form != form {
				t.Fatalf("got digest %s form %v, want %s %v", got.Digest, got.Form, digest, form)
			}
			if want := host + "/fn/echo-" + form.String() + "@" + digest; got.Ref != want {
				t.Fatalf("Ref = %s, want %s", got.Ref, want)
			}
			byDigest, err := PullWasm(testCtx(t), got.Ref)
			if err != nil || !bytes.Equal(byDigest.Module, module) {
				t.Fatalf("pull by digest: %v", err)
			}
		})
	}
}

// layered builds a wasip1/wasm image from tar layers (bottom first).
func layered(t *testing.T, entrypoint []string, layers ...[]tarEntry) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	for _, entries := range layers {
		b, err := buildTar(entries)
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.AppendLayers(img, static.NewLayer(b, types.OCIUncompressedLayer))
		if err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "wasi", "wasm"
	cf.Config.Entrypoint = entrypoint
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestPullWasmLayerVariants(t *testing.T) {
	host := ocitest.NewRegistry(t)
	module := testModule(t)
	old := []byte("\x00asm\x01\x00\x00\x00")
	tests := []struct {
		name       string
		img        v1.Image
		want       []byte
		wantErr    error
		errContain string
	}{
		{"entrypoint elsewhere", layered(t, []string{"/app/fn.wasm"},
			[]tarEntry{{name: "app/fn.wasm", mode: 0o755, data: module}}), module, nil, ""},
		{"top layer wins", layered(t, nil,
			[]tarEntry{{name: "function.wasm", mode: 0o755, data: old}},
			[]tarEntry{{name: "./function.wasm", mode: 0o755, data: module}}), module, nil, ""},
		{"lower layer", layered(t, nil,
			[]tarEntry{{name: "function.wasm", mode: 0o755, data: module}},
			[]tarEntry{{name: "etc/other", mode: 0o644, data: []byte("x")}}), module, nil, ""},
		{"no module", layered(t, nil,
			[]tarEntry{{name: "main.wasm", mode: 0o755, data: module}}), nil, provider.ErrImage, "no file /function.wasm"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := host + "/variants:" + string(rune('a'+i))
			mustPush(t, tt.img, ref)
			got, err := PullWasm(testCtx(t), ref)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.errContain) {
					t.Fatalf("err = %v, want %v containing %q", err, tt.wantErr, tt.errContain)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Module, tt.want) {
				t.Fatalf("pulled %d bytes, want %d", len(got.Module), len(tt.want))
			}
		})
	}
}

func TestPullWasmErrors(t *testing.T) {
	host := ocitest.NewRegistry(t)
	module := testModule(t)
	container, err := ContainerImage([]byte("#!binary"), ContainerConfig{Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	mustPush(t, container, host+"/fn/native:v1")
	for _, form := range []WasmForm{FormOCILayer, FormArtifact} {
		img, err := WasmImage(module, form)
		if err != nil {
			t.Fatal(err)
		}
		mustPush(t, img, host+"/fn/big-"+form.String()+":v1")
	}
	tests := []struct {
		name    string
		ref     string
		opts    []Option
		classes []error
		msg     string
	}{
		{"container", host + "/fn/native:v1", nil, []error{ErrNotWasm, provider.ErrImage},
			"image " + host + "/fn/native:v1 is a container image (platform linux/amd64), not Wasm"},
		{"missing tag", host + "/fn/native:v2", nil, []error{ErrNotFound, provider.ErrImage},
			"image " + host + "/fn/native:v2 not found in registry " + host},
		{"missing repo", host + "/nope:v1", nil, []error{ErrNotFound, provider.ErrImage}, "not found in registry"},
		{"oci-layer too big", host + "/fn/big-oci-layer:v1", []Option{WithMaxModuleSize(1000)},
			[]error{provider.ErrImage, provider.ErrTooLarge}, "exceeds the limit of 1000 bytes"},
		{"artifact too big", host + "/fn/big-artifact:v1", []Option{WithMaxModuleSize(1000)},
			[]error{provider.ErrImage, provider.ErrTooLarge}, "exceeds the limit of 1000 bytes"},
		{"bad platform option", host + "/fn/native:v1", []Option{WithPlatform("linux")},
			[]error{provider.ErrInvalid}, "not os/arch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PullWasm(testCtx(t), tt.ref, tt.opts...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, c := range tt.classes {
				if !errors.Is(err, c) {
					t.Errorf("err %q is not %v", err, c)
				}
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err %q does not contain %q", err, tt.msg)
			}
		})
	}
}

// corrupting serves a registry that flips the last byte of every blob
// whose digest is in bad.
func corrupting(t *testing.T, bad map[string]bool) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := strings.LastIndex(r.URL.Path, "/blobs/")
		if r.Method != http.MethodGet || i < 0 || !bad[r.URL.Path[i+len("/blobs/"):]] {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 0 {
			body[len(body)-1] ^= 0xff
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestPullWasmVerifiesDigests(t *testing.T) {
	module := testModule(t)
	bad := map[string]bool{}
	host := corrupting(t, bad)
	for _, form := range []WasmForm{FormOCILayer, FormArtifact} {
		t.Run(form.String(), func(t *testing.T) {
			img, err := WasmImage(module, form)
			if err != nil {
				t.Fatal(err)
			}
			ref := host + "/fn/corrupt-" + form.String() + ":v1"
			mustPush(t, img, ref)
			m, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := PullWasm(testCtx(t), ref); err != nil {
				t.Fatalf("intact pull: %v", err)
			}
			bad[m.Layers[0].Digest.String()] = true
			got, err := PullWasm(testCtx(t), ref)
			if !errors.Is(err, provider.ErrImage) {
				t.Fatalf("corrupted layer: got %v bytes, err %v", got != nil, err)
			}
		})
	}
}

func TestIPv6Loopback(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	ref := ln.Addr().String() + "/fn/v6:v1"
	img, err := WasmImage(testModule(t), FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	mustPush(t, img, ref)
	if _, err := PullWasm(testCtx(t), ref); err != nil {
		t.Fatal(err)
	}
}
