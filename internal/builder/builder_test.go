package builder

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
)

// repoRoot is the module root, where stack.yml and functions/ live.
const repoRoot = "../.."

func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Go programs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	b := New()
	tests := []struct {
		name      string
		fn        Function
		wantKind  string
		wantShape Shape
		wantMagic []byte
	}{
		{"container", Function{Handler: "./functions/go/prime-numbers", Image: "x/p"}, "container", "", []byte("\x7fELF")},
		{"wasm command", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "command"}}, "wasm", ShapeCommand, []byte("\x00asm")},
		{"wasm reactor artifact", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "reactor", FormAnnotation: "artifact"}}, "wasm", ShapeReactor, []byte("\x00asm")},
		{"snapshot without wizer falls back", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}, "wasm", ShapeCommand, []byte("\x00asm")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a1, err := b.Build(ctx, repoRoot, "p", tt.fn)
			if err != nil {
				t.Fatal(err)
			}
			a2, err := b.Build(ctx, repoRoot, "p", tt.fn)
			if err != nil {
				t.Fatal(err)
			}
			if a1.Kind != tt.wantKind || a1.Shape != tt.wantShape || !bytes.HasPrefix(a1.Raw, tt.wantMagic) {
				t.Errorf("kind %s shape %s magic %q", a1.Kind, a1.Shape, a1.Raw[:4])
			}
			if a1.Digest != a2.Digest || !bytes.Equal(a1.Raw, a2.Raw) {
				t.Errorf("not reproducible: %s vs %s", a1.Digest, a2.Digest)
			}
			if a1.Size <= 0 || a1.Size > int64(len(a1.Raw))+1<<20 {
				t.Errorf("image size %d for %d raw bytes", a1.Size, len(a1.Raw))
			}
		})
	}
}

func TestBuildWithWizer(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Go programs")
	}
	var got []byte
	wizer := func(_ context.Context, m []byte) ([]byte, error) { got = m; return append([]byte{}, m...), nil }
	b := New(WithWizer(wizer))
	a, err := b.Build(context.Background(), repoRoot, "p", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Shape != ShapeSnapshot || !bytes.Equal(got, a.Raw) {
		t.Fatalf("shape %s; wizer saw %d bytes, artifact %d", a.Shape, len(got), len(a.Raw))
	}
	failing := New(WithWizer(func(context.Context, []byte) ([]byte, error) { return nil, errBoom }))
	if _, err := failing.Build(context.Background(), repoRoot, "p", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}); !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want the Wizer's error", err)
	}
}

var errBoom = errors.New("boom")

func TestBuildErrors(t *testing.T) {
	b := New()
	tests := []struct {
		name string
		fn   Function
		want error
	}{
		{"no such package", Function{Handler: "./functions/does-not-exist", Image: "x"}, ErrBuild},
		{"bad form", Function{Handler: "./functions/go/aes", Image: "x", Annotations: map[string]string{RuntimeAnnotation: "wasm", FormAnnotation: "zip"}}, ErrStack},
		{"bad shape", Function{Handler: "./functions/go/aes", Image: "x", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "daemon"}}, ErrStack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := b.Build(context.Background(), repoRoot, "x", tt.fn); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMainPushesToRegistry(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Go programs")
	}
	reg := ocitest.NewRegistry(t)
	t.Setenv("REGISTRY", "example.invalid:5000")
	out := t.TempDir()
	var stdout bytes.Buffer
	args := []string{"-f", filepath.Join(repoRoot, "stack.yml"), "--push", reg, "--out", out, "--only", "prime-numbers,prime-numbers-wasm", "--quiet"}
	if err := Main(context.Background(), args, &stdout); err != nil {
		t.Fatalf("Main: %v\n%s", err, stdout.String())
	}
	table := stdout.String()
	for _, want := range []string{"prime-numbers ", "prime-numbers-wasm ", "container", "wasm", reg + "/prime-numbers:latest", reg + "/prime-numbers-wasm:latest"} {
		if !strings.Contains(table, want) {
			t.Errorf("output lacks %q:\n%s", want, table)
		}
	}
	printed := map[string]string{}
	for _, line := range strings.Split(table, "\n") {
		if f := strings.Fields(line); len(f) == 7 {
			printed[f[0]] = f[5]
		}
	}
	for n, want := range map[string]oci.Kind{"prime-numbers": oci.KindContainer, "prime-numbers-wasm": oci.KindWasm} {
		kind, info, err := oci.Inspect(context.Background(), reg+"/"+n+":latest")
		if err != nil {
			t.Fatalf("inspect pushed %s: %v", n, err)
		}
		if kind != want || info.Digest != printed[n] {
			t.Errorf("%s pushed as %v digest %s; printed digest %q", n, kind, info.Digest, printed[n])
		}
	}
	for _, f := range []string{"prime-numbers/function", "prime-numbers-wasm/function.wasm", "prime-numbers/oci/index.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("--out: %v", err)
		}
	}
}

func TestMainUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want error
	}{
		{"unknown flag", []string{"--nope"}, ErrUsage},
		{"stray argument", []string{"-f", "../../stack.yml", "extra"}, ErrUsage},
		{"unknown function", []string{"-f", "../../stack.yml", "--only", "nope"}, ErrUsage},
		{"missing stack", []string{"-f", "/nonexistent/stack.yml"}, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Main(context.Background(), tt.args, &bytes.Buffer{}); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
