package local

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// signed returns the precompiled layer of module, signed with key for the
// engine fingerprint fp.
func signed(key ed25519.PrivateKey, module []byte, fp string, data []byte) *oci.Precompiled {
	c := precompiled.Sign(key, precompiled.Digest(module), fp, data)
	return &oci.Precompiled{Data: data, Engine: c.Engine, Module: c.Module, KeyID: c.KeyID, Signature: c.Signature}
}

// TestPrecompiledTrust: the driver hands a precompiled layer to the engine
// only when a trusted key signed it for this module and this engine; every
// other case compiles, with the reason logged at debug.
func TestPrecompiledTrust(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	ring := precompiled.NewKeyRing(pub)
	module := []byte("echo-v1")
	data := []byte("native echo-v1")
	good := signed(key, module, fakeFingerprint, data)
	tampered := *good
	tampered.Data = []byte("native echo-v1, patched")
	cases := []struct {
		name   string
		ring   *precompiled.KeyRing
		pm     pulledModule
		loaded bool
		reason string
	}{
		{"signed by a trusted key", ring, pulledModule{module: module, pre: good}, true, ""},
		{"no layer", ring, pulledModule{module: module}, false, ""},
		{"no trusted keys", nil, pulledModule{module: module, pre: good}, false, "no trusted build key"},
		{"unsigned", ring, pulledModule{module: module, pre: &oci.Precompiled{Data: data, Engine: fakeFingerprint, Module: good.Module}}, false, "not signed"},
		{"wrong key", ring, pulledModule{module: module, pre: signed(otherKey, module, fakeFingerprint, data)}, false, "untrusted key"},
		{"tampered bytes", ring, pulledModule{module: module, pre: &tampered}, false, "does not verify"},
		{"wrong fingerprint", ring, pulledModule{module: module, pre: signed(key, module, "other-engine/1", data)}, false, "another engine"},
		{"wrong module digest", ring, pulledModule{module: []byte("echo-v2"), pre: good}, false, "another module"},
		{"unreadable layer", ring, pulledModule{module: module, preErr: errors.New("layer digest mismatch")}, false, "digest mismatch"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			o, err := buildOptions([]Option{WithLogger(newTextLogger(&logs)), WithTrustedBuildKeys(tc.ring)})
			if err != nil {
				t.Fatal(err)
			}
			eng := &fakeEngine{}
			w := newWasmDriver(eng, imageSource{}, filepath.Join(t.TempDir(), "wasm"), &o)
			if _, err := w.compiled(context.Background(), "reg/fn:1", "", tc.pm); err != nil {
				t.Fatal(err)
			}
			if got := eng.precompiled.Load() == 1; got != tc.loaded {
				t.Errorf("precompiled loaded = %v, want %v (compiles %d)", got, tc.loaded, eng.compiles.Load())
			}
			if !tc.loaded && eng.compiles.Load() != 1 {
				t.Errorf("compiles = %d, want 1", eng.compiles.Load())
			}
			if tc.reason != "" && !strings.Contains(logs.String(), tc.reason) {
				t.Errorf("debug log lacks %q:\n%s", tc.reason, logs.String())
			}
			t.Log(strings.TrimSpace(logs.String()))
		})
	}
}

// loadRecorder counts the engine's module loads.
type loadRecorder struct {
	mu    sync.Mutex
	loads []bool
}

func (r *loadRecorder) ModuleLoaded(cached bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loads = append(r.loads, cached)
}

func (r *loadRecorder) GuestCallDone(string, string) {}

func (r *loadRecorder) misses() (n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.loads {
		if !c {
			n++
		}
	}
	return n
}

// withCustomSection returns module with a custom section appended: another
// digest, the same code.
func withCustomSection(module []byte, name string) []byte {
	payload := append([]byte{byte(len(name))}, name...)
	return append(append(bytes.Clone(module), 0, byte(len(payload))), payload...)
}

// TestSignedPrecompiledGoModule deploys a Go module whose image carries a
// signed precompiled layer: no compile happens and the first call answers.
// An unsigned image of another digest is compiled and answers too.
func TestSignedPrecompiledGoModule(t *testing.T) {
	echo, _ := realEngine(t)
	pub, key, _ := ed25519.GenerateKey(nil)
	reg := ocitest.NewRegistry(t)

	// The builder's side: its own engine, the provider's configuration.
	builder, err := wasm.NewEngine(t.TempDir(), wasm.WithPooling(false), wasm.WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	module := withCustomSection(echo, "signed")
	data, err := builder.Precompile(module)
	builder.Close()
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.WasmImage(module, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = oci.AddPrecompiled(img, *signed(key, module, wasm.Fingerprint(), data)); err != nil {
		t.Fatal(err)
	}
	if _, err := oci.Push(ctx, img, reg+"/fn/echo-signed:1"); err != nil {
		t.Fatal(err)
	}
	push(t, withCustomSection(echo, "unsigned"), oci.FormOCILayer, reg+"/fn/echo-unsigned:1")

	// The provider's side: a fresh engine and AOT cache.
	var rec loadRecorder
	engine, err := wasm.NewEngine(t.TempDir(), wasm.WithPoolSize(8), wasm.WithObserver(&rec), wasm.WithLogger(discardLogger()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { engine.Close() })
	var logs syncBuffer
	b, err := New(ctx, t.TempDir(), engine, WithLogger(newTextLogger(&logs)), WithTrustedBuildKeys(precompiled.NewKeyRing(pub)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	wasmSpec := func(name, image string) provider.FunctionDeployment {
		return provider.FunctionDeployment{Service: name, Image: image, Annotations: map[string]string{provider.AnnotationRuntime: "wasm"}}
	}

	if err := b.Deploy(ctx, wasmSpec("signed", reg+"/fn/echo-signed:1")); err != nil {
		t.Fatalf("deploy signed: %v", err)
	}
	if n := rec.misses(); n != 0 {
		t.Fatalf("deploying the signed image compiled %d modules; logs:\n%s", n, logs.String())
	}
	if code, body, _ := get(t, http.MethodPost, serve(t, b, "signed"), "hello"); code/100 != 2 || !strings.Contains(body, "BODY=hello") {
		t.Fatalf("signed: %d %q", code, body)
	}
	if !strings.Contains(logs.String(), "precompiled layer trusted") {
		t.Errorf("no debug log of the trusted layer:\n%s", logs.String())
	}

	if err := b.Deploy(ctx, wasmSpec("unsigned", reg+"/fn/echo-unsigned:1")); err != nil {
		t.Fatalf("deploy unsigned: %v", err)
	}
	if n := rec.misses(); n != 1 {
		t.Fatalf("deploying the unsigned image compiled %d modules, want 1", n)
	}
	if code, body, _ := get(t, http.MethodPost, serve(t, b, "unsigned"), "world"); code/100 != 2 || !strings.Contains(body, "BODY=world") {
		t.Fatalf("unsigned: %d %q", code, body)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
