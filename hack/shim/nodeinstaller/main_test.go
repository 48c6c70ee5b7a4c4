package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRegisterRuntime(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		changed      bool
		want         string
	}{
		{"empty", "", true, `version = 2
`},
		{"version 2", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  sandbox_image = \"p\"", true,
			`[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.faaswasm]`},
		{"version 1", "[plugins.cri]\n  sandbox_image = \"p\"\n", true, `[plugins.cri.containerd.runtimes.faaswasm]`},
		{"already there", "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.faaswasm]\n  runtime_type = \"x\"\n", false, `runtime_type = "x"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, changed := registerRuntime([]byte(tc.config), "faaswasm")
			if changed != tc.changed || !strings.Contains(string(got), tc.want) {
				t.Fatalf("registerRuntime = changed %v\n%s\nwant changed %v containing %q", changed, got, tc.changed, tc.want)
			}
			if changed && !strings.Contains(string(got), `runtime_type = "io.containerd.faaswasm.v1"`) {
				t.Fatalf("no runtime_type in\n%s", got)
			}
			if again, changed := registerRuntime(got, "faaswasm"); changed || string(again) != string(got) {
				t.Fatal("second registration changed the config")
			}
		})
	}
}

func TestInstallIntoHostTree(t *testing.T) {
	src, host := t.TempDir(), t.TempDir()
	for _, b := range Binaries {
		os.WriteFile(filepath.Join(src, b), []byte("binary "+b), 0o644)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	changed, err := install(log, host, src, "/usr/local/bin", "/etc/containerd/config.toml", "faaswasm", "/var/lib/faas-wasm/cache")
	if err != nil || !changed {
		t.Fatalf("install = %v, %v", changed, err)
	}
	for _, b := range Binaries {
		fi, err := os.Stat(filepath.Join(host, "usr/local/bin", b))
		if err != nil || fi.Mode().Perm() != 0o755 {
			t.Fatalf("%s: %v %v", b, fi, err)
		}
	}
	if changed, err := install(log, host, src, "/usr/local/bin", "/etc/containerd/config.toml", "faaswasm", "/var/lib/faas-wasm/cache"); err != nil || changed {
		t.Fatalf("second install = %v, %v", changed, err)
	}
	if _, err := install(log, host, src, "/usr/local/bin", "/etc/containerd/config.toml", "Bad_Name", "/c"); err == nil {
		t.Fatal("bad runtime name accepted")
	}
}
