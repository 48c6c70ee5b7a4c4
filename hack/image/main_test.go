package main

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/registry"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// files lists the regular files of img with their modes.
func files(t *testing.T, img v1.Image) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	tr := tar.NewReader(mutate.Extract(img))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			out["/"+strings.TrimPrefix(h.Name, "/")] = h.Mode
		}
	}
}

func TestImages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	bin := write("bin", "\x7fELF provider")
	ca := write("ca.crt", "-----BEGIN CERTIFICATE-----\n")
	write("shim/containerd-shim-faaswasm-v1", "shim")
	write("shim/faaswasm-runner", "runner")

	tests := []struct {
		name      string
		args      []string
		wantFiles map[string]int64
		wantUser  string
		wantEnv   []string
	}{
		{"provider", []string{"-kind", "provider", "-bin", bin, "-ca-bundle", ca},
			map[string]int64{"/function": 0o755, caBundle: 0o644}, "65532:65532", []string{"HOME=/tmp", "SSL_CERT_FILE=" + caBundle}},
		{"node-installer", []string{"-kind", "node-installer", "-bin", bin, "-shim-dir", filepath.Join(dir, "shim")},
			map[string]int64{"/function": 0o755, "/faas-wasm/containerd-shim-faaswasm-v1": 0o644, "/faas-wasm/faaswasm-runner": 0o644}, "", nil},
		{"binary", []string{"-kind", "binary", "-bin", bin},
			map[string]int64{"/function": 0o755}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tarPath := filepath.Join(t.TempDir(), "img.tar")
			var out bytes.Buffer
			if err := run(context.Background(), append(tt.args, "-tar", tarPath), &out); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), tt.name+" sha256:") || !strings.Contains(out.String(), "compressed_bytes=") {
				t.Errorf("output %q", out.String())
			}
			img, err := tarball.ImageFromPath(tarPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := files(t, img); !reflect.DeepEqual(got, tt.wantFiles) {
				t.Errorf("files %v, want %v", got, tt.wantFiles)
			}
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cf.Config.Entrypoint, []string{"/function"}) || cf.Config.User != tt.wantUser || !reflect.DeepEqual(cf.Config.Env, tt.wantEnv) {
				t.Errorf("config entrypoint %v user %q env %v", cf.Config.Entrypoint, cf.Config.User, cf.Config.Env)
			}
		})
	}
}

func TestPushToLoopbackRegistry(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- registry.Serve(ctx, addr, "") }()
	t.Cleanup(func() { cancel(); <-done })
	for i := 0; ; i++ {
		if r, err := http.Get("http://" + addr + "/v2/"); err == nil {
			r.Body.Close()
			break
		}
		if i == 50 {
			t.Fatal("registry did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(bin, []byte("\x7fELF"), 0o755); err != nil {
		t.Fatal(err)
	}
	ref := addr + "/faas-wasm/faas-wasm:test"
	var out bytes.Buffer
	if err := run(ctx, []string{"-kind", "provider", "-bin", bin, "-ca-bundle", "", "-ref", ref}, &out); err != nil {
		t.Fatal(err)
	}
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	if !strings.Contains(out.String(), d.String()) {
		t.Errorf("printed %q, registry has %s", out.String(), d)
	}
}

// TestWasmImage checks both Wasm forms carry the module as they should.
func TestWasmImage(t *testing.T) {
	module := filepath.Join(t.TempDir(), "f.wasm")
	if err := os.WriteFile(module, []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, artifact := range []bool{false, true} {
		tarPath := filepath.Join(t.TempDir(), "img.tar")
		args := []string{"-kind", "wasm", "-bin", module, "-tar", tarPath}
		if artifact {
			args = append(args, "-artifact")
		}
		var out bytes.Buffer
		if err := run(context.Background(), args, &out); err != nil {
			t.Fatalf("artifact=%v: %v", artifact, err)
		}
		if !strings.HasPrefix(out.String(), "wasm sha256:") {
			t.Errorf("output %q", out.String())
		}
		if artifact {
			continue // a Docker tarball cannot carry the artifact's manifest; pushing can
		}
		img, err := tarball.ImageFromPath(tarPath, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := files(t, img); got["/function.wasm"] == 0 {
			t.Errorf("OCI layer form lacks /function.wasm: %v", got)
		}
	}
}

func TestRunRefuses(t *testing.T) {
	for _, args := range [][]string{
		{"-kind", "provider"},
		{"-kind", "other", "-bin", "/proc/self/exe", "-tar", "x"},
		{"-kind", "node-installer", "-bin", "/proc/self/exe", "-tar", filepath.Join(t.TempDir(), "x")},
	} {
		if err := run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("run %v succeeded", args)
		}
	}
}
