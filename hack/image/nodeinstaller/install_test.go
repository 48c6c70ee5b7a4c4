package main

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// fixture makes an image source directory and an empty node root.
func fixture(t *testing.T) Plan {
	t.Helper()
	src, host := t.TempDir(), t.TempDir()
	for _, b := range Binaries {
		if err := os.WriteFile(filepath.Join(src, b), []byte("binary "+b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Plan{Source: src, HostRoot: host, BinDir: "/usr/local/bin", CacheDir: "/var/lib/faas-wasm/cache", RuntimeName: "faaswasm"}
}

func TestInstallConfig(t *testing.T) {
	tests := []struct {
		name, before string
		wantHeader   string
		keep         string
	}{
		{"absent file", "", `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.faaswasm]`, "version = 2\n"},
		{"version 2", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"pause:1\"", `[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.faaswasm]`, "sandbox_image = \"pause:1\"\n"},
		{"version 3", "version = 3\n", `[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.faaswasm]`, "version = 3\n"},
		{"version 1", "[plugins.cri]\n  sandbox_image = \"pause:1\"\n", `[plugins.cri.containerd.runtimes.faaswasm]`, "[plugins.cri]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fixture(t)
			p.Config = "/etc/containerd/config.toml"
			cfg := filepath.Join(p.HostRoot, p.Config)
			if tt.before != "" {
				if err := os.MkdirAll(filepath.Dir(cfg), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(cfg, []byte(tt.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			res, err := Install(p)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Registered || len(res.Installed) != 2 {
				t.Errorf("first install: %+v", res)
			}
			got, _ := os.ReadFile(cfg)
			if strings.Count(string(got), tt.wantHeader) != 1 || !strings.Contains(string(got), `runtime_type = "io.containerd.faaswasm.v1"`) || !strings.Contains(string(got), tt.keep) {
				t.Errorf("config:\n%s", got)
			}
			for _, b := range Binaries {
				fi, err := os.Stat(filepath.Join(p.HostRoot, p.BinDir, b))
				if err != nil || fi.Mode().Perm() != 0o755 {
					t.Errorf("%s: %v %v", b, fi, err)
				}
			}
			if fi, err := os.Stat(filepath.Join(p.HostRoot, p.CacheDir)); err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("cache dir: %v %v", fi, err)
			}
			again, err := Install(p)
			if err != nil {
				t.Fatal(err)
			}
			if again.Registered || len(again.Installed) != 0 {
				t.Errorf("second install changed something: %+v", again)
			}
			if now, _ := os.ReadFile(cfg); string(now) != string(got) {
				t.Errorf("second install rewrote the config:\n%s", now)
			}
		})
	}
}

func TestInstallDropInAndUpdate(t *testing.T) {
	p := fixture(t)
	p.DropIn = "/etc/faas-wasm-cluster/containerd.d/faaswasm.toml"
	if _, err := Install(p); err != nil {
		t.Fatal(err)
	}
	drop, err := os.ReadFile(filepath.Join(p.HostRoot, p.DropIn))
	if err != nil || !strings.Contains(string(drop), Table(2, p.RuntimeName)) {
		t.Fatalf("drop-in %q %v", drop, err)
	}
	// A new image version replaces only the binary that changed.
	if err := os.WriteFile(filepath.Join(p.Source, Binaries[1]), []byte("runner v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Install(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/usr/local/bin/" + Binaries[1]}; !reflect.DeepEqual(res.Installed, want) || res.Registered {
		t.Errorf("update: %+v, want only %v", res, want)
	}
	if b, _ := os.ReadFile(filepath.Join(p.HostRoot, p.BinDir, Binaries[1])); string(b) != "runner v2" {
		t.Errorf("runner not updated: %q", b)
	}
}

// TestInstallTrustedBuildKeys: -trusted-build-keys writes the keys where
// the shim reads them, once; a file without an ed25519 public key is
// refused; without the flag the node file is removed.
func TestInstallTrustedBuildKeys(t *testing.T) {
	p := fixture(t)
	dir := t.TempDir()
	p.TrustedBuildKeys = filepath.Join(dir, "build.pub")
	if err := precompiled.WriteKeyPair(filepath.Join(dir, "build.key"), p.TrustedBuildKeys); err != nil {
		t.Fatal(err)
	}
	node := filepath.Join(p.HostRoot, runspec.DefaultTrustedBuildKeys)
	for i, want := range []bool{true, false} {
		res, err := Install(p)
		if err != nil || res.KeysChanged != want {
			t.Fatalf("install %d: %+v, %v; want keys changed %v", i, res, err, want)
		}
	}
	pub, _ := os.ReadFile(p.TrustedBuildKeys)
	if got, err := os.ReadFile(node); err != nil || string(got) != string(pub) {
		t.Fatalf("node keys %q, %v; want %q", got, err, pub)
	}
	bad := p
	bad.TrustedBuildKeys = filepath.Join(dir, "build.key")
	if _, err := Install(bad); !errors.Is(err, precompiled.ErrKey) {
		t.Errorf("install with a private key as trusted keys: %v, want %v", err, precompiled.ErrKey)
	}
	p.TrustedBuildKeys = ""
	if res, err := Install(p); err != nil || !res.KeysChanged {
		t.Fatalf("install without keys: %+v, %v", res, err)
	}
	if _, err := os.Stat(node); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("node keys left after an install without them: %v", err)
	}
}

func TestInstallRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Plan)
	}{
		{"bad runtime name", func(p *Plan) { p.RuntimeName = "Bad Name" }},
		{"relative bin dir", func(p *Plan) { p.BinDir = "usr/local/bin" }},
		{"relative config", func(p *Plan) { p.Config = "config.toml" }},
		{"missing binary", func(p *Plan) { p.Source = p.HostRoot }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fixture(t)
			tt.change(&p)
			if _, err := Install(p); err == nil {
				t.Error("Install accepted the plan")
			}
		})
	}
}

func TestRunOneshot(t *testing.T) {
	p := fixture(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	args := []string{"-source", p.Source, "-host-root", p.HostRoot, "-drop-in", "/etc/c.d/x.toml", "-oneshot"}
	os.Remove(readyFile)
	t.Cleanup(func() { os.Remove(readyFile) })
	if err := run(append(args, "-check"), log, io.Discard); err == nil {
		t.Fatal("-check passed before an installation")
	}
	if err := run(args, log, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(append(args, "-check"), log, io.Discard); err != nil {
		t.Errorf("-check after installing: %v", err)
	}
	if err := run(append(args, "-restart", "reboot"), log, io.Discard); err == nil {
		t.Error("unknown -restart accepted")
	}
}

// TestInstallShimGroup: -shim-group=node writes "node" where the shim
// reads it; pod removes that file; another value is refused before
// anything is touched.
func TestInstallShimGroup(t *testing.T) {
	p := fixture(t)
	node := filepath.Join(p.HostRoot, runspec.DefaultShimGroup)
	p.ShimGroup = "node"
	if _, err := Install(p); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(node); err != nil || strings.TrimSpace(string(got)) != "node" {
		t.Fatalf("node shim group %q, %v; want node", got, err)
	}
	p.ShimGroup = "pod"
	if _, err := Install(p); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(node); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("shim group file left with -shim-group=pod: %v", err)
	}
	p.ShimGroup = "nodes"
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "shim group") {
		t.Errorf("Validate with shim group %q: %v, want an error naming it", p.ShimGroup, err)
	}
}
