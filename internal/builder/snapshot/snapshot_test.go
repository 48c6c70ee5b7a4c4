package snapshot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

var reactor []byte

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "snapshot-test-")
	if err != nil {
		panic(err)
	}
	out := filepath.Join(dir, "reactor.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-buildmode=c-shared", "-o", out, "./testdata/reactor")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic(string(b))
	}
	reactor, err = os.ReadFile(out)
	os.RemoveAll(dir)
	if err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func wat(t *testing.T, src string) []byte {
	t.Helper()
	b, err := wasmtime.Wat2Wasm(src)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runHandle instantiates mod (without calling _initialize) and returns
// faas_handle's result.
func runHandle(t *testing.T, mod []byte) int32 {
	t.Helper()
	engine := wasmtime.NewEngine()
	m, err := wasmtime.NewModule(engine, mod)
	if err != nil {
		t.Fatal(err)
	}
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		t.Fatal(err)
	}
	store := wasmtime.NewStore(engine)
	store.SetWasi(wasmtime.NewWasiConfig())
	inst, err := linker.Instantiate(store, m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := inst.GetFunc(store, "faas_handle").Call(store)
	if err != nil {
		t.Fatal(err)
	}
	return res.(int32)
}

func TestWizen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cases := []struct {
		name  string
		opts  []Option
		init  string
		state int32
	}{
		{"faas_init by default", nil, "faas_init", 43},
		{"_initialize only", []Option{WithInitFunc("_initialize")}, "_initialize", 42},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap, err := Wizen(ctx, reactor, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			exports, err := funcExports(snap)
			if err != nil {
				t.Fatal(err)
			}
			if exports["_initialize"] || exports[c.init] || !exports["faas_handle"] {
				t.Errorf("snapshot exports %v: want faas_handle without _initialize and %s", exports, c.init)
			}
			if got := runHandle(t, snap); got != c.state {
				t.Errorf("snapshot state %d, want %d", got, c.state)
			}
		})
	}
}

func TestWizenErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cases := []struct {
		name   string
		module func(t *testing.T) []byte
		opts   []Option
		want   error
	}{
		{"command", func(t *testing.T) []byte { return wat(t, `(module (func (export "_start")))`) }, nil, ErrNotReactor},
		{"not wasm", func(*testing.T) []byte { return []byte("hello") }, nil, ErrNotReactor},
		{"truncated", func(*testing.T) []byte { return reactor[:1000] }, nil, ErrNotReactor},
		{"no init function", func(t *testing.T) []byte {
			return wat(t, `(module (func (export "faas_handle") (result i32) i32.const 0))`)
		}, nil, ErrNotReactor},
		{"missing named init", func(*testing.T) []byte { return reactor }, []Option{WithInitFunc("nope")}, ErrNotReactor},
		{"init panics", func(*testing.T) []byte { return reactor }, []Option{WithInitFunc("fail_init")}, ErrInitFailed},
		{"wizer missing", func(*testing.T) []byte { return reactor }, []Option{WithWizer("/nonexistent/wizer")}, ErrWizerUnavailable},
		{"no npm", func(*testing.T) []byte { return reactor }, []Option{WithCacheDir(t.TempDir())}, ErrWizerUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "no npm" {
				t.Setenv("PATH", t.TempDir())
			}
			_, err := Wizen(ctx, c.module(t), c.opts...)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			t.Log(err)
		})
	}
}

func TestInstallIdempotent(t *testing.T) {
	ctx := context.Background()
	first, err := Install(ctx)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := Install(ctx)
	if err != nil || second != first {
		t.Fatalf("second install: %q %v, first %q", second, err, first)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("an installed Wizer took %v to find", took)
	}
}

func TestFuncExports(t *testing.T) {
	mod := wat(t, `(module (memory (export "memory") 1) (global (export "g") i32 (i32.const 0))
		(func (export "a")) (func (export "b")))`)
	got, err := funcExports(mod)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got["a"] || !got["b"] {
		t.Errorf("got %v, want a and b only", got)
	}
	for _, n := range []int{9, 12, bytes.Index(mod, []byte("memory")) + 2} {
		if _, err := funcExports(mod[:n]); err == nil {
			t.Errorf("module truncated to %d of %d bytes: no error", n, len(mod))
		}
	}
}
