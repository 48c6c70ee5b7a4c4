package builder

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder/rustflags"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// deepRust is a Cargo package (no dependencies) whose CGI program recurses
// ?depth levels with about 1 KiB of stack each.
const deepRust = `use std::ptr::{read_volatile, write_volatile};

fn recurse(n: u32) -> u32 {
    let mut frame = [0u8; 1024];
    unsafe { write_volatile(&mut frame[n as usize % 1024], n as u8) };
    if n == 0 {
        return 0;
    }
    recurse(n - 1).wrapping_add(unsafe { read_volatile(&frame[n as usize % 1024]) } as u32)
}

fn main() {
    let q = std::env::var("QUERY_STRING").unwrap_or_default();
    let depth: u32 = q.trim_start_matches("depth=").parse().unwrap_or(0);
    print!("Content-Type: text/plain\n\n{}", recurse(depth));
}
`

// TestRustWasmStackSize builds a deeply recursing Rust function for Wasm
// with the default stack (rustflags.DefaultStackSize) and with
// com.openfaas.wasm.stack-size=1Mi, and runs both: 100 levels (~100 KiB)
// fit the default, 400 levels (~400 KiB) overflow it with a clean trap and
// fit 1 MiB.
func TestRustWasmStackSize(t *testing.T) {
	build, run := rustWasmRunner(t, "deep", deepRust)
	depth := func(n int) string { return fmt.Sprintf("depth=%d", n) }
	def := build(t, "")
	if out, err := run(t, def, depth(100)); err != nil || out != want(100) {
		t.Errorf("default stack (%d bytes), depth 100: %q, %v; want %q", rustflags.DefaultStackSize, out, err, want(100))
	}
	var trap *wasm.TrapError
	if out, err := run(t, def, depth(400)); !errors.As(err, &trap) {
		t.Errorf("default stack, depth 400: %q, %v; want a trap", out, err)
	} else if !strings.Contains(err.Error(), "out of bounds memory access") {
		t.Errorf("default stack, depth 400: %v; want an out-of-bounds trap (the stack is placed first)", err)
	}
	big := build(t, "1Mi")
	if out, err := run(t, big, depth(400)); err != nil || out != want(400) {
		t.Errorf("stack-size 1Mi, depth 400: %q, %v; want %q", out, err, want(400))
	}
}

// rustWasmRunner writes main as the only source of a Cargo package named
// name (no dependencies) and returns a function that builds it for Wasm
// with the Builder, the given com.openfaas.wasm.stack-size ("" = none),
// and one that runs a module once on a pooling engine with a query.
func rustWasmRunner(t *testing.T, name, main string) (build func(t *testing.T, stackSize string) []byte, run func(t *testing.T, module []byte, query string) (string, error)) {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles Rust programs")
	}
	root := t.TempDir()
	writeFiles(t, root, map[string]string{
		name + "/Cargo.toml":  "[package]\nname = \"" + name + "\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
		name + "/src/main.rs": main,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	engine, err := wasm.NewEngine(t.TempDir(), wasm.WithPoolSize(4))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	b := New(WithCacheDir(t.TempDir()))
	run = func(t *testing.T, module []byte, query string) (string, error) {
		t.Helper()
		m, err := engine.Compile(ctx, module)
		if err != nil {
			t.Fatal(err)
		}
		fn, err := engine.NewFunction(m, wasm.Config{Name: name, Namespace: "openfaas-fn"})
		if err != nil {
			t.Fatal(err)
		}
		defer fn.Close()
		resp, err := fn.Invoke(ctx, &wasm.Request{Method: "GET", Path: "/", RawQuery: query})
		if err != nil {
			return "", err
		}
		return string(resp.Body), nil
	}
	build = func(t *testing.T, stackSize string) []byte {
		t.Helper()
		ann := map[string]string{RuntimeAnnotation: "wasm"}
		if stackSize != "" {
			ann[StackSizeAnnotation] = stackSize
		}
		a, err := b.Build(ctx, root, name, Function{Lang: string(LangRust), Handler: "./" + name, Image: "x/" + name, Annotations: ann})
		if err != nil {
			t.Fatal(err)
		}
		return a.Raw
	}
	return build, run
}

// want is what deepRust answers for depth: the sum of n%256 for n in 1..depth.
func want(depth int) string {
	var s uint32
	for n := 1; n <= depth; n++ {
		s += uint32(n % 256)
	}
	return fmt.Sprint(s)
}

func TestWasmStackSize(t *testing.T) {
	tests := []struct {
		lang       Lang
		annotation string
		want       int
		err        bool
	}{
		{LangRust, "", rustflags.DefaultStackSize, false},
		{LangRust, "1Mi", 1 << 20, false},
		{LangRust, "64Ki", 64 << 10, false},
		{LangRust, "131072", 128 << 10, false},
		{LangC, "", 0, false},
		{LangC, "512Ki", 512 << 10, false},
		{LangGo, "", 0, false},
		{LangGo, "1Mi", 0, true},
		{LangRust, "1Gi", 0, true},
		{LangRust, "128Mi", 0, true},
		{LangRust, "8Ki", 0, true},
		{LangRust, "65537", 0, true},
		{LangRust, "-1Mi", 0, true},
		{LangRust, "lots", 0, true},
		{LangC, "99999999999999999999", 0, true},
	}
	for _, tt := range tests {
		got, err := wasmStackSize(tt.lang, tt.annotation)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("wasmStackSize(%s, %q) = %d, %v; want %d, error %v", tt.lang, tt.annotation, got, err, tt.want, tt.err)
		}
		if err != nil && !errors.Is(err, ErrStack) {
			t.Errorf("wasmStackSize(%s, %q): %v does not wrap ErrStack", tt.lang, tt.annotation, err)
		}
	}
}

// TestCargoTargetKey checks that Rust builds with other flags or another
// target get their own Cargo target directory, so they do not overwrite
// each other's compiled dependencies (cargo 1.63 does not hash RUSTFLAGS
// into artifact names).
func TestCargoTargetKey(t *testing.T) {
	base := cargoTargetKey("rustc-1.63.0-abcd", rustflags.WasmTarget, rustflags.Wasm())
	if base != cargoTargetKey("rustc-1.63.0-abcd", rustflags.WasmTarget, rustflags.Wasm()) {
		t.Error("the same toolchain, target and flags give two keys")
	}
	if !strings.HasPrefix(base, "rustc-1.63.0-abcd-") {
		t.Errorf("key %q does not start with the toolchain key", base)
	}
	for name, key := range map[string]string{
		"other toolchain": cargoTargetKey("rustc-1.64.0-abcd", rustflags.WasmTarget, rustflags.Wasm()),
		"other target":    cargoTargetKey("rustc-1.63.0-abcd", "x86_64-unknown-linux-gnu", rustflags.Wasm()),
		"other flags":     cargoTargetKey("rustc-1.63.0-abcd", rustflags.WasmTarget, []string{"-C", "panic=abort"}),
		"opt level":       cargoTargetKey("rustc-1.63.0-abcd", rustflags.WasmTarget, append(rustflags.Wasm(), "-C", "opt-level=s")),
		"flags split":     cargoTargetKey("rustc-1.63.0-abcd", rustflags.WasmTarget, []string{"-C panic=abort", "-C", "target-feature=+simd128"}),
	} {
		if key == base {
			t.Errorf("%s: same key %q", name, key)
		}
	}
}
