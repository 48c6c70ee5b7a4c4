package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
)

// repoRoot is the module root, where stack.yml and functions/ live.
const repoRoot = "../.."

func TestBuildFlags(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		want  error
		check func(buildFlags) bool
	}{
		{"defaults", nil, nil, func(c buildFlags) bool {
			return c.file == "stack.yml" && len(c.only) == 0 && !c.noSnapshot && c.precompileMin == builder.DefaultPrecompileMinBytes
		}},
		{"all flags", []string{"--yaml", "s.yml", "--only", "a, b-wasm", "--push", "r:5000", "--insecure", "--out", "o", "--quiet", "--no-snapshot", "--c-sdk", "sdk/c", "--sign-key", "k", "--precompile-min-bytes", "0"}, nil,
			func(c buildFlags) bool {
				return c.file == "s.yml" && strings.Join(c.only, "|") == "a|b-wasm" && c.push == "r:5000" && c.insecure && c.out == "o" && c.quiet && c.noSnapshot && c.cSDK == "sdk/c" &&
					c.signKey == "k" && c.precompileMin == 0
			}},
		{"negative precompile threshold", []string{"--precompile-min-bytes", "-1"}, errBuildUsage, nil},
		{"help", []string{"--help"}, flag.ErrHelp, nil},
		{"unknown flag", []string{"--nope"}, errBuildUsage, nil},
		{"stray argument", []string{"-f", "stack.yml", "extra"}, errBuildUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			c, err := parseBuildFlags(tt.args, &out)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("flags %+v", c)
			}
			if tt.want == flag.ErrHelp && !strings.Contains(out.String(), "-push") {
				t.Errorf("usage lacks -push: %q", out.String())
			}
		})
	}
}

func TestBuildUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
	}{
		{"unknown function", []string{"-f", filepath.Join(repoRoot, "stack.yml"), "--only", "nope", "--no-snapshot"}, builder.ErrUnknownFunction},
		{"missing stack", []string{"-f", "/nonexistent/stack.yml", "--no-snapshot"}, os.ErrNotExist},
		{"help exits 0", []string{"--help"}, flag.ErrHelp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := runBuild(context.Background(), tt.args, &out, &out); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestBuildPushesToRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Go and C programs")
	}
	reg := ocitest.NewRegistry(t)
	t.Setenv("REGISTRY", "example.invalid:5000")
	out := t.TempDir()
	var stdout bytes.Buffer
	args := []string{"-f", filepath.Join(repoRoot, "stack.yml"), "--push", reg, "--out", out, "--only", "prime-numbers,prime-numbers-wasm,plain-c-wasm", "--quiet"}
	if err := runBuild(context.Background(), args, &stdout, &stdout); err != nil {
		t.Fatalf("build: %v\n%s", err, stdout.String())
	}
	table := stdout.String()
	for _, want := range []string{"prime-numbers ", "prime-numbers-wasm ", "go-faaswasm", "c-faaswasm", "container", "wasm", reg + "/prime-numbers:latest", reg + "/prime-numbers-wasm:latest", reg + "/plain-c-wasm:latest"} {
		if !strings.Contains(table, want) {
			t.Errorf("output lacks %q:\n%s", want, table)
		}
	}
	printed := map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) == 8 {
			printed[f[0]] = f[6]
		}
	}
	for n, want := range map[string]oci.Kind{"prime-numbers": oci.KindContainer, "prime-numbers-wasm": oci.KindWasm, "plain-c-wasm": oci.KindWasm} {
		kind, info, err := oci.Inspect(context.Background(), reg+"/"+n+":latest")
		if err != nil {
			t.Fatalf("inspect pushed %s: %v", n, err)
		}
		if kind != want || info.Digest != printed[n] {
			t.Errorf("%s pushed as %v digest %s; printed digest %q", n, kind, info.Digest, printed[n])
		}
	}
	for _, f := range []string{"prime-numbers/function", "prime-numbers-wasm/function.wasm", "prime-numbers/oci/index.json", "plain-c-wasm/function.wasm"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}
}

// TestBuildSnapshotNeedsOnlyGo: with nothing but go on PATH and an empty
// cache directory, a Go Wasm entry is built in the snapshot shape (the
// pre-initialiser runs in process; the Wizer it replaces needed npm), and
// --no-snapshot builds it in the command shape.
func TestBuildSnapshotNeedsOnlyGo(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a Go program")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	gocache, err := exec.Command(goBin, "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(goBin, filepath.Join(bin, "go")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOCACHE", strings.TrimSpace(string(gocache)))
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("PATH", bin)
	args := []string{"-f", filepath.Join(repoRoot, "stack.yml"), "--only", "prime-numbers-wasm", "--out", t.TempDir(), "--quiet"}
	for _, c := range []struct {
		flags []string
		want  string
	}{{nil, "snapshot/"}, {[]string{"--no-snapshot"}, "command/"}} {
		var stdout bytes.Buffer
		if err := runBuild(context.Background(), append(args, c.flags...), &stdout, &stdout); err != nil {
			t.Fatalf("build %v: %v", c.flags, err)
		}
		if !strings.Contains(stdout.String(), c.want) {
			t.Errorf("build %v: not the %s shape:\n%s", c.flags, c.want, stdout.String())
		}
	}
}
