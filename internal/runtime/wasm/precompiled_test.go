package wasm

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFingerprint(t *testing.T) {
	fp := Fingerprint()
	t.Logf("fingerprint: %s", fp)
	for _, want := range []string{fingerprintVersion, "wasmtime-go@", "epoch-interruption=true", "opt-level=speed"} {
		if !strings.Contains(fp, want) {
			t.Errorf("fingerprint %q lacks %q", fp, want)
		}
	}
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if want := "github.com/bytecodealliance/wasmtime-go/v39 " + wasmtimeGoVersion + "\n"; !strings.Contains(string(gomod), want) {
		t.Errorf("go.mod does not require %q: update wasmtimeGoVersion (and the /vNN import path) with wasmtime-go", strings.TrimSpace(want))
	}
	e := newEngineT(t, t.TempDir(), WithPooling(false))
	if e.Fingerprint() != fp {
		t.Errorf("engine fingerprint %q differs from %q", e.Fingerprint(), fp)
	}
}

// TestCompilePrecompiled loads a module serialized by another engine (as a
// builder would ship it) without compiling, and compiles when the
// precompiled bytes are unusable.
func TestCompilePrecompiled(t *testing.T) {
	builder := newEngineT(t, t.TempDir(), WithPooling(false))
	pre, err := builder.Precompile(cGuest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := builder.Precompile([]byte("not wasm")); err == nil {
		t.Error("Precompile accepted junk")
	}
	cases := []struct {
		name     string
		pre      []byte
		compiles int64
	}{
		{"accepted", pre, 0},
		{"junk", []byte("definitely not a cwasm"), 1},
		{"truncated", pre[:len(pre)/2], 1},
		{"none", nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rec recorder
			e := newEngineT(t, t.TempDir(), WithPoolSize(4), WithObserver(&rec))
			m, err := e.CompilePrecompiled(context.Background(), cGuest, tc.pre)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.compiles.Load(); got != tc.compiles {
				t.Errorf("compiles = %d, want %d", got, tc.compiles)
			}
			if want := []bool{tc.compiles == 0}; !slices.Equal(rec.loads, want) {
				t.Errorf("observer loads %v, want %v", rec.loads, want)
			}
			f, err := e.NewFunction(m, Config{Name: "pre", Timeout: 5 * time.Second, MemoryLimit: 32 << 20, MaxResponseBytes: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			resp, err := call(f, "", "hello")
			if err != nil || resp.Status != 200 {
				t.Fatalf("call: %v %+v", err, resp)
			}
			// The cache entry is there now: a later Compile is a hit.
			if _, err := e.Compile(context.Background(), cGuest); err != nil {
				t.Fatal(err)
			}
			if got := e.compiles.Load(); got != tc.compiles {
				t.Errorf("compiles after a second Compile = %d, want %d", got, tc.compiles)
			}
		})
	}
}
