package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBuildPolyglotReproducible builds a Rust and a C function, both kinds,
// and a Go Wasm snapshot, from two copies of the sources at different
// paths, the second with a fresh cache directory, and expects the same
// bytes and digests from both. (The snapshot's pre-initialisation made Go
// Wasm images differ on every build while it ran under the Wizer, which
// gave the Go runtime real random bytes and clocks.)
//
// The copies live at fixed paths under the temporary directory and the
// first build's Cargo target directories (keyed by toolchain and flags) in
// the user's cache; the second build compiles everything (a few minutes).
func TestBuildPolyglotReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles Rust and C programs")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	var roots []string
	for _, copyName := range []string{"a", "bb"} { // different path lengths too
		root := filepath.Join(os.TempDir(), fmt.Sprintf("faas-wasm-repro-%d", os.Getuid()), copyName)
		if err := os.RemoveAll(root); err != nil {
			t.Fatal(err)
		}
		for _, dir := range []string{"functions/rust", "sdk/rust", "sdk/c", "functions/go/prime-numbers", "functions/internal", "functions/go.mod", "functions/go.sum", "fn"} {
			copyTree(t, filepath.Join(repoRoot, dir), filepath.Join(root, dir))
		}
		roots = append(roots, root)
	}
	// The second checkout builds with a fresh cache directory (a cold Cargo
	// target directory), as another machine or user would: the stage used
	// to live under the cache directory, so its path — hashed by cargo into
	// symbol names and the module's function order — differed.
	builders := []*Builder{New(), New(WithCacheDir(t.TempDir()))}
	tests := []struct {
		name string
		fn   Function
		// magic is the artifact's first bytes; shape the module's.
		magic string
		shape Shape
	}{
		{"rust wasm", Function{Lang: "rust-faaswasm", Handler: "./functions/rust/prime-numbers", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}, "\x00asm", ShapeCommand},
		{"rust wasm reactor", Function{Lang: "rust-faaswasm", Handler: "./functions/rust/prime-numbers", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "reactor"}}, "\x00asm", ShapeReactor},
		{"rust container", Function{Lang: "rust-faaswasm", Handler: "./functions/rust/prime-numbers"}, "\x7fELF", ""},
		{"c wasm", Function{Lang: "c-faaswasm", Handler: "./sdk/c/examples/hello.c", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}, "\x00asm", ShapeCommand},
		{"c wasm reactor", Function{Lang: "c-faaswasm", Handler: "./sdk/c/examples/hello.c", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "reactor"}}, "\x00asm", ShapeReactor},
		{"c container", Function{Lang: "c-faaswasm", Handler: "./sdk/c/examples/hello.c"}, "\x7fELF", ""},
		{"plain c wasm (no SDK)", Function{Lang: "c-faaswasm", Handler: "./sdk/c/examples/plain-cgi.c", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}, "\x00asm", ShapeCommand},
		{"go wasm snapshot", Function{Lang: "go-faaswasm", Handler: "./functions/go/prime-numbers", Annotations: map[string]string{RuntimeAnnotation: "wasm"}}, "\x00asm", ShapeSnapshot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn.Image = "x/" + strings.ReplaceAll(tt.name, " ", "-")
			var arts []*Artifact
			for i, root := range roots {
				start := time.Now()
				a, err := builders[i].Build(ctx, root, "f", tt.fn)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s from %s: %d bytes, image %d bytes, %s (%v)", tt.name, root, len(a.Raw), a.Size, a.Digest, time.Since(start).Round(time.Millisecond))
				arts = append(arts, a)
			}
			if !bytes.HasPrefix(arts[0].Raw, []byte(tt.magic)) || arts[0].Shape != tt.shape {
				t.Errorf("magic %q shape %q", arts[0].Raw[:4], arts[0].Shape)
			}
			if arts[0].Digest != arts[1].Digest || !bytes.Equal(arts[0].Raw, arts[1].Raw) {
				t.Errorf("not reproducible across checkouts and cache directories: %s vs %s", arts[0].Digest, arts[1].Digest)
			}
			if bytes.Contains(arts[0].Raw, []byte(roots[0])) {
				t.Errorf("the artifact names its source directory %s", roots[0])
			}
		})
	}
}

// TestBuildCompilerErrors checks that a failing cargo or clang gives
// ErrBuild with the compiler's own message.
func TestBuildCompilerErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs cargo and clang")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		"broken-rs/Cargo.toml":     "[package]\nname = \"broken\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
		"broken-rs/src/main.rs":    "fn main() { let x: u32 = \"not a number\"; }\n",
		"broken-c/handler.c":       "int main(void) { return undeclared_identifier; }\n",
		"no-reactor-rs/Cargo.toml": "[package]\nname = \"no-reactor\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
		"no-reactor-rs/src/lib.rs": "pub fn handle() {}\n",
		"no-sdk-c/handler.c":       "#include \"faaswasm.h\"\nint main(void) { return 0; }\n",
		"no-reactor-c/handler.c":   "int main(void) { return 0; }\n",
	})
	b := New(WithCacheDir(t.TempDir()), WithCSDK(filepath.Join(root, "nowhere")))
	wasm := map[string]string{RuntimeAnnotation: "wasm"}
	tests := []struct {
		name, want string
		fn         Function
	}{
		{"cargo", "mismatched types", Function{Lang: "rust-faaswasm", Handler: "./broken-rs", Image: "x", Annotations: wasm}},
		{"rust reactor without faas_wasm_fn::reactor!", "add faas_wasm_fn::reactor!(handle);", Function{Lang: "rust-faaswasm", Handler: "./no-reactor-rs", Image: "x", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "reactor"}}},
		{"clang wasm", "undeclared_identifier", Function{Lang: "c-faaswasm", Handler: "./broken-c", Image: "x", Annotations: wasm}},
		{"c reactor without FW_REACTOR", "add FW_REACTOR(handle)", Function{Lang: "c-faaswasm", Handler: "./no-reactor-c", Image: "x", Annotations: map[string]string{RuntimeAnnotation: "wasm", ShapeAnnotation: "reactor"}}},
		{"clang native", "undeclared_identifier", Function{Lang: "c-faaswasm", Handler: "./broken-c", Image: "x"}},
		{"no C SDK", "nowhere", Function{Lang: "c-faaswasm", Handler: "./no-sdk-c", Image: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.Build(context.Background(), root, "x", tt.fn)
			if !errors.Is(err, ErrBuild) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrBuild with %q", err, tt.want)
			}
		})
	}
}

// copyTree copies the regular files of src to dst, leaving out target/
// directories (Cargo output).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "target" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// writeFiles writes files (path relative to root → content) under root.
func writeFiles(t *testing.T, root string, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
