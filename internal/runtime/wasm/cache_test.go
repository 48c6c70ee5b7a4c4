package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
)

func newEngineT(t *testing.T, dir string, opts ...Option) *Engine {
	t.Helper()
	e, err := NewEngine(dir, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func wat(t *testing.T, src string) []byte {
	t.Helper()
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCompileShapes(t *testing.T) {
	e := testEngine(t)
	cases := []struct {
		name    string
		module  func(t *testing.T) []byte
		shape   Shape
		wantErr error
		msg     string
	}{
		{"go command", func(*testing.T) []byte { return cmdGuest }, ShapeCommand, nil, ""},
		{"go reactor", func(*testing.T) []byte { return reactorGuest }, ShapeReactor, nil, ""},
		{"go snapshot", func(t *testing.T) []byte { return snapshotGuestT(t) }, ShapeSnapshot, nil, ""},
		{"c command", func(*testing.T) []byte { return cGuest }, ShapeCommand, nil, ""},
		{"empty bytes", func(*testing.T) []byte { return nil }, 0, ErrInvalidModule, "not a WebAssembly"},
		{"text", func(*testing.T) []byte { return []byte("#!/bin/sh\necho hi\n") }, 0, ErrInvalidModule, "not a WebAssembly"},
		{"truncated", func(*testing.T) []byte { return cGuest[:len(cGuest)/2] }, 0, ErrInvalidModule, ""},
		{"no exports", func(t *testing.T) []byte { return wat(t, `(module (func $f))`) }, 0, ErrNotFunction, "neither _start"},
		{"foreign import", func(t *testing.T) []byte {
			return wat(t, `(module (import "env" "foo" (func)) (func (export "_start")))`)
		}, 0, ErrNotFunction, "env.foo"},
		{"bad handle type", func(t *testing.T) []byte {
			return wat(t, `(module (func (export "faas_handle") (param i32)))`)
		}, 0, ErrNotFunction, "() -> i32"},
		{"command that also exports faas_handle", func(t *testing.T) []byte {
			return wat(t, `(module (memory (export "memory") 1) (func (export "_start")) (func (export "faas_handle") (result i32) i32.const 0))`)
		}, ShapeCommand, nil, ""},
		{"minimal snapshot", func(t *testing.T) []byte {
			return wat(t, `(module (memory (export "memory") 1) (func (export "faas_handle") (result i32) i32.const 0))`)
		}, ShapeSnapshot, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mod := c.module(t)
			m, err := e.Compile(context.Background(), mod)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("got %v, want %v containing %q", err, c.wantErr, c.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Shape() != c.shape {
				t.Errorf("shape %v, want %v", m.Shape(), c.shape)
			}
			sum := sha256.Sum256(mod)
			if m.Digest() != "sha256:"+hex.EncodeToString(sum[:]) {
				t.Errorf("digest %s", m.Digest())
			}
		})
	}
}

func TestCacheCompilesOnce(t *testing.T) {
	dir := t.TempDir()
	e := newEngineT(t, dir, WithPoolSize(8))
	var wg sync.WaitGroup
	mods := make([]*Module, 8)
	errs := make([]error, 8)
	for i := range mods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mods[i], errs[i] = e.Compile(context.Background(), cGuest)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("compile %d: %v", i, err)
		}
	}
	if n := e.compiles.Load(); n != 1 {
		t.Errorf("%d concurrent first compiles compiled %d times, want 1", len(mods), n)
	}
	path := e.cachePath(strings.TrimPrefix(mods[0].Digest(), "sha256:"))
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("cache file: %v", err)
	}
	if mods[0].CodeSize() != fi.Size() {
		t.Errorf("CodeSize = %d, want the cache entry's %d bytes", mods[0].CodeSize(), fi.Size())
	}
	// A second engine on the same directory loads from the cache.
	e2 := newEngineT(t, dir, WithPoolSize(8))
	m, err := e2.Compile(context.Background(), cGuest)
	if err != nil {
		t.Fatal(err)
	}
	if n := e2.compiles.Load(); n != 0 {
		t.Errorf("second engine compiled %d times, want 0 (cache hit)", n)
	}
	if m.CodeSize() != fi.Size() {
		t.Errorf("CodeSize of a cache hit = %d, want %d", m.CodeSize(), fi.Size())
	}
	invokeEcho(t, e2, m)
}

func invokeEcho(t *testing.T, e *Engine, m *Module) {
	t.Helper()
	f, err := e.NewFunction(m, Config{Name: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	resp, err := call(f, "", "cached")
	if err != nil || string(resp.Body) != "cached" {
		t.Fatalf("invoke: %v %v", resp, err)
	}
}

func TestCacheCorruptRebuilt(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(path string) error
	}{
		{"flipped bytes", func(path string) error {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for i := len(b) / 2; i < len(b)/2+64; i++ {
				b[i] ^= 0xff
			}
			return os.WriteFile(path, b, 0o644)
		}},
		{"truncated", func(path string) error { return os.Truncate(path, 100) }},
		{"garbage", func(path string) error { return os.WriteFile(path, []byte("not a cwasm"), 0o644) }},
		{"checksum missing", func(path string) error { return os.Remove(path + ".sum") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			e := newEngineT(t, dir, WithPoolSize(8))
			m, err := e.Compile(context.Background(), cGuest)
			if err != nil {
				t.Fatal(err)
			}
			path := e.cachePath(strings.TrimPrefix(m.Digest(), "sha256:"))
			// Corrupt the entry as a crash or a bad disk would, between runs:
			// a mapped file must not change under a live module.
			m.Close()
			e.Close()
			if err := c.corrupt(path); err != nil {
				t.Fatal(err)
			}
			e2 := newEngineT(t, dir, WithPoolSize(8))
			m2, err := e2.Compile(context.Background(), cGuest)
			if err != nil {
				t.Fatalf("compile after corruption: %v", err)
			}
			if n := e2.compiles.Load(); n != 1 {
				t.Errorf("corrupt entry: compiled %d times, want 1 (rebuild)", n)
			}
			invokeEcho(t, e2, m2)
			e3 := newEngineT(t, dir, WithPoolSize(8))
			if _, err := e3.Compile(context.Background(), cGuest); err != nil || e3.compiles.Load() != 0 {
				t.Errorf("rebuilt entry not reused: %v, %d compiles", err, e3.compiles.Load())
			}
		})
	}
}

func TestCompileContext(t *testing.T) {
	e := newEngineT(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Bytes nobody compiled yet: the call returns ctx's error without
	// compiling (a tiny module compiled at once used to race ctx).
	mod := wat(t, `(module (func (export "_start")) (func $unique (result i32) i32.const 424242))`)
	if _, err := e.Compile(ctx, mod); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if n := e.compiles.Load(); n != 0 {
		t.Errorf("compiled %d times for an ended context, want 0", n)
	}
}

func TestEngineWithoutPooling(t *testing.T) {
	e := newEngineT(t, t.TempDir(), WithPooling(false))
	if e.Pooling() {
		t.Fatal("pooling on although disabled")
	}
	m, err := e.Compile(context.Background(), cGuest)
	if err != nil {
		t.Fatal(err)
	}
	invokeEcho(t, e, m)
}

// TestCacheLimit: with WithCacheLimit the cache directory keeps the most
// recently used compiled modules that fit; engines sharing the directory
// (as the provider's or the node's processes do) trim each other's
// entries, a module removed while loaded keeps running, and loading it
// again compiles it again. The old engine kept every module forever.
func TestCacheLimit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a, b := ocitest.WithCustomSection(cGuest, "v", "a"), ocitest.WithCustomSection(cGuest, "v", "b")
	file := func(m []byte) string {
		sum := sha256.Sum256(m)
		return filepath.Join(dir, hex.EncodeToString(sum[:])+".cwasm")
	}
	present := func(m []byte) bool { _, err := os.Stat(file(m)); return err == nil }

	e1 := newEngineT(t, dir, WithCacheLimit(1)) // room for the newest entry only
	ma, err := e1.Compile(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	fa, err := e1.NewFunction(ma, Config{Name: "a"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fa.Close() })
	e2 := newEngineT(t, dir, WithCacheLimit(1))
	if _, err := e2.Compile(ctx, b); err != nil {
		t.Fatal(err)
	}
	if present(a) || !present(b) {
		t.Fatalf("after compiling b: a cached %v (want false), b cached %v (want true)", present(a), present(b))
	}
	if _, err := os.Stat(file(a) + ".sum"); err == nil {
		t.Error("a's checksum file kept")
	}
	if r, err := call(fa, "", "x"); err != nil || r.Status != 200 {
		t.Fatalf("a after its file was removed: %v, %v", r, err)
	}

	e3 := newEngineT(t, dir, WithCacheLimit(1))
	if _, err := e3.Compile(ctx, a); err != nil || e3.compiles.Load() != 1 {
		t.Fatalf("a again: %v, %d compiles, want 1", err, e3.compiles.Load())
	}
	if !present(a) || present(b) {
		t.Fatalf("after compiling a again: a cached %v, b cached %v", present(a), present(b))
	}

	e4 := newEngineT(t, dir) // default bound (1 GiB) keeps both
	if _, err := e4.Compile(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := e4.Compile(ctx, a); err != nil || e4.compiles.Load() != 1 || !present(a) || !present(b) {
		t.Fatalf("default bound: %v, %d compiles (want 1: a loaded from the cache); a %v b %v", err, e4.compiles.Load(), present(a), present(b))
	}
}

// TestCloseWaitsForAbandonedCompile: a caller that stops waiting for a
// compile leaves it running, and Close must wait for it instead of freeing
// the engine under it (regression: in the e2e suite a provider's engine was
// closed while its cancelled compile ran, and cranelift, reading freed
// memory, panicked and aborted the process).
func TestCloseWaitsForAbandonedCompile(t *testing.T) {
	e := newEngineT(t, t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Compile(ctx, cmdGuest); !errors.Is(err, context.Canceled) {
		t.Fatalf("compile with a cancelled context: got %v, want context.Canceled", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Compile(context.Background(), cGuest); !errors.Is(err, ErrClosed) {
		t.Fatalf("compile after Close: got %v, want ErrClosed", err)
	}
}
