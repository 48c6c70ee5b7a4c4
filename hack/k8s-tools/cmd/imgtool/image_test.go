package main

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func writeFakeBinary(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "server")
	if err := os.WriteFile(p, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRequireLoopback(t *testing.T) {
	tests := []struct {
		hostport string
		ok       bool
	}{
		{"127.0.0.1:5000", true},
		{"127.0.0.2:5000", true},
		{"[::1]:5000", true},
		{"localhost:5000", true},
		{"localhost", true},
		{"10.96.0.1:5000", false},
		{"registry.example.com:5000", false},
		{"docker.io", false},
	}
	for _, tc := range tests {
		t.Run(tc.hostport, func(t *testing.T) {
			err := requireLoopback(tc.hostport)
			if (err == nil) != tc.ok {
				t.Fatalf("requireLoopback(%q) = %v, want ok=%v", tc.hostport, err, tc.ok)
			}
		})
	}
}

func TestBinaryImage(t *testing.T) {
	tests := []struct {
		name    string
		port    int
		wantExp bool
	}{
		{"no port", 0, false},
		{"port 8080", 8080, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bin := writeFakeBinary(t, "#!fake binary "+tc.name)
			img, err := binaryImage(bin, tc.port)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			if cfg.OS != "linux" || cfg.Architecture != "amd64" {
				t.Errorf("platform %s/%s, want linux/amd64", cfg.OS, cfg.Architecture)
			}
			if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/server" {
				t.Errorf("entrypoint %q, want /server", got)
			}
			if _, ok := cfg.Config.ExposedPorts["8080/tcp"]; ok != tc.wantExp {
				t.Errorf("exposed ports %v, want 8080/tcp exposed=%v", cfg.Config.ExposedPorts, tc.wantExp)
			}
			layers, err := img.Layers()
			if err != nil {
				t.Fatal(err)
			}
			if len(layers) != 1 || len(cfg.RootFS.DiffIDs) != 1 {
				t.Fatalf("%d layers, %d diff IDs; want 1 and 1", len(layers), len(cfg.RootFS.DiffIDs))
			}
			rc, err := layers[0].Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			tr := tar.NewReader(rc)
			hdr, err := tr.Next()
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if hdr.Name != "server" || hdr.Mode != 0o755 || string(body) != "#!fake binary "+tc.name {
				t.Errorf("layer file %q mode %o body %q", hdr.Name, hdr.Mode, body)
			}
			again, err := binaryImage(bin, tc.port)
			if err != nil {
				t.Fatal(err)
			}
			d1, _ := img.Digest()
			d2, _ := again.Digest()
			if d1 != d2 {
				t.Errorf("not reproducible: %s then %s", d1, d2)
			}
		})
	}
}

func TestWriteTarRoundTrip(t *testing.T) {
	bin := writeFakeBinary(t, "pause")
	out := filepath.Join(t.TempDir(), "img.tar")
	if err := writeTar(bin, "faas-wasm.local/pause:1", out, 0); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("faas-wasm.local/pause:1")
	img, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, err %v", len(layers), err)
	}
	if err := writeTar(bin, "not a ref::", out, 0); err == nil {
		t.Error("writeTar accepted an invalid reference")
	}
}

func TestPush(t *testing.T) {
	srv := httptest.NewServer(registry.New())
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	bin := writeFakeBinary(t, "smoke")
	tests := []struct {
		name    string
		ref     string
		wantErr bool
	}{
		{"loopback", host + "/faas-wasm/smoke:1", false},
		{"not loopback", "registry.example.com/x:1", true},
		{"bad ref", host + "/UPPER:1", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			digest, err := push(context.Background(), bin, tc.ref, 8080)
			if (err != nil) != tc.wantErr {
				t.Fatalf("push(%q) error %v, wantErr %v", tc.ref, err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			ref, _ := name.ParseReference(tc.ref, name.Insecure)
			desc, err := remote.Get(ref)
			if err != nil {
				t.Fatal(err)
			}
			if desc.Digest.String() != digest {
				t.Errorf("registry has %s, push said %s", desc.Digest, digest)
			}
		})
	}
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	tests := []struct {
		name string
		args []string
	}{
		{"no args", nil},
		{"unknown", []string{"frobnicate"}},
		{"tar without flags", []string{"tar"}},
		{"push without flags", []string{"push"}},
		{"registry not loopback", []string{"registry", "-addr", "0.0.0.0:0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := run(context.Background(), tc.args, &out); err == nil {
				t.Errorf("run(%q) succeeded, want an error", tc.args)
			}
		})
	}
}
