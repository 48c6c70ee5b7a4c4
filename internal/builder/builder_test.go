package builder

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// repoRoot is the module root, where stack.yml and functions/ live.
const repoRoot = "../.."

// TestBuildReproducible builds each Go entry twice, with two Builders, and
// expects the same bytes and digest: also the Go Wasm snapshot (the
// default shape), which the Wizer made differ on every build (the Go
// runtime's hash seeds and start time were real random bytes and clocks).
func TestBuildReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Go programs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	tests := []struct {
		name      string
		fn        Function
		wantKind  string
		wantShape Shape
		wantMagic []byte
	}{
		{"container", Function{Handler: "./functions/go/prime-numbers", Image: "x/p"}, "container", "", []byte("\x7fELF")},
		{"wasm command", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "command"}}, "wasm", ShapeCommand, []byte("\x00asm")},
		{"wasm snapshot", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}, "wasm", ShapeSnapshot, []byte("\x00asm")},
		{"wasm reactor artifact", Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "reactor", FormAnnotation: "artifact"}}, "wasm", ShapeReactor, []byte("\x00asm")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a1, err := New().Build(ctx, repoRoot, "p", tt.fn)
			if err != nil {
				t.Fatal(err)
			}
			a2, err := New().Build(ctx, repoRoot, "p", tt.fn)
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

// TestBuildWithoutSnapshots: WithoutSnapshots builds a Go Wasm entry of
// the snapshot shape (the default) in the command shape, on purpose.
func TestBuildWithoutSnapshots(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a Go program")
	}
	fn := Function{Handler: "./functions/go/prime-numbers", Image: "x/p", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}
	a, err := New(WithoutSnapshots()).Build(context.Background(), repoRoot, "p", fn)
	if err != nil {
		t.Fatal(err)
	}
	if a.Shape != ShapeCommand || !bytes.HasPrefix(a.Raw, []byte("\x00asm")) {
		t.Fatalf("shape %s, magic %q", a.Shape, a.Raw[:4])
	}
}

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
		{"unknown lang", Function{Lang: "cobol", Handler: "./functions/go/aes", Image: "x"}, ErrStack},
		{"rust snapshot", Function{Lang: "rust-faaswasm", Handler: "./functions/rust/prime-numbers", Image: "x", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "snapshot"}}, ErrStack},
		{"c snapshot", Function{Lang: "c-faaswasm", Handler: "./sdk/c/examples/hello.c", Image: "x", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "snapshot"}}, ErrStack},
		{"rust without Cargo.toml", Function{Lang: "rust-faaswasm", Handler: "./functions/go/aes", Image: "x"}, ErrBuild},
		{"c without sources", Function{Lang: "c-faaswasm", Handler: "./functions/go/aes", Image: "x"}, ErrBuild},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := b.Build(context.Background(), repoRoot, "x", tt.fn); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
