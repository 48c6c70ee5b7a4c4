package runner

import (
	"bytes"
	"crypto/ed25519"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

// commandModule returns (module (func (export "_start")) (func $n i32.const n drop)):
// a small valid command module whose bytes, hence digest, depend on n.
func commandModule(n byte) []byte {
	return []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type () -> ()
		0x03, 0x03, 0x02, 0x00, 0x00, // two functions of that type
		0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00,
		0x0a, 0x0a, 0x02, 0x02, 0x00, 0x0b, 0x05, 0x00, 0x41, n & 0x3f, 0x1a, 0x0b, // i32.const n; drop
	}
}

// signedLayer writes module's precompiled layer, as faas-wasm build
// --sign-key ships it (oci.AddPrecompiled), into dir and returns it as the
// shim hands it to the runner: the blob's file and the descriptor's
// annotations. native is the precompiled code; claims are signed with key
// for engine over module's digest.
func signedLayer(t *testing.T, dir string, key ed25519.PrivateKey, module, native []byte, engine string) *runspec.PrecompiledLayer {
	t.Helper()
	img, err := oci.WasmImage(module, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	c := precompiled.Sign(key, precompiled.Digest(module), engine, native)
	img, err = oci.AddPrecompiled(img, oci.Precompiled{Data: native, Engine: c.Engine, Module: c.Module, KeyID: c.KeyID, Signature: c.Signature})
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	desc := m.Layers[len(m.Layers)-1]
	l, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	blob, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, desc.Digest.Hex+".layer")
	if err := os.WriteFile(path, blob, 0o600); err != nil {
		t.Fatal(err)
	}
	return &runspec.PrecompiledLayer{Path: path, Annotations: desc.Annotations}
}

// TestPrecompileSignedLayer: faaswasm-runner -precompile installs an
// image's precompiled layer instead of compiling only when a trusted key
// signed it for this module and this engine — the provider's rule — and
// otherwise compiles, logging why at info (also the shim's reason for
// passing no layer, and wasmtime refusing a signed one: both were silent
// before); the cached module then serves.
func TestPrecompileSignedLayer(t *testing.T) {
	dir := t.TempDir()
	keyFile, pubFile := filepath.Join(dir, "build.key"), filepath.Join(dir, "build.pub")
	if err := precompiled.WriteKeyPair(keyFile, pubFile); err != nil {
		t.Fatal(err)
	}
	key, err := precompiled.LoadPrivateKey(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, _ := ed25519.GenerateKey(nil)
	eng, err := wasm.NewEngine(t.TempDir(), wasm.WithPooling(false))
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()

	cases := []struct {
		name   string
		keys   []string
		layer  func(module []byte) *runspec.PrecompiledLayer
		from   string
		reason string // in the log when the layer is not used
		// noLayer is the shim's reason for passing no layer
		// (runspec.Config.NoPrecompiledLayer).
		noLayer string
	}{
		{"trusted", []string{pubFile}, func(m []byte) *runspec.PrecompiledLayer {
			return signedLayer(t, dir, key, m, precompile(t, eng, m), wasm.Fingerprint())
		}, FromLayer, "", ""},
		{"no layer", []string{pubFile}, func([]byte) *runspec.PrecompiledLayer { return nil }, FromCompile,
			"no image of the node has one", "no image of the node has one"},
		{"node trusts no key", nil, func(m []byte) *runspec.PrecompiledLayer {
			return signedLayer(t, dir, key, m, precompile(t, eng, m), wasm.Fingerprint())
		}, FromCompile, precompiled.ErrNoTrustedKeys.Error(), ""},
		{"untrusted key", []string{pubFile}, func(m []byte) *runspec.PrecompiledLayer {
			return signedLayer(t, dir, otherKey, m, precompile(t, eng, m), wasm.Fingerprint())
		}, FromCompile, precompiled.ErrUntrustedKey.Error(), ""},
		{"another engine", []string{pubFile}, func(m []byte) *runspec.PrecompiledLayer {
			return signedLayer(t, dir, key, m, precompile(t, eng, m), "faas-wasm-engine/1 wasmtime-go@v1.0.0 linux/amd64")
		}, FromCompile, precompiled.ErrEngineMismatch.Error(), ""},
		{"another module", []string{pubFile}, func(m []byte) *runspec.PrecompiledLayer {
			other := commandModule(63)
			return signedLayer(t, dir, key, other, precompile(t, eng, other), wasm.Fingerprint())
		}, FromCompile, precompiled.ErrModuleMismatch.Error(), ""},
		{"tampered code", []string{pubFile}, func(m []byte) *runspec.PrecompiledLayer {
			l := signedLayer(t, dir, key, m, precompile(t, eng, m), wasm.Fingerprint())
			native := precompile(t, eng, m)
			native[len(native)/2] ^= 1
			l.Path = signedLayer(t, t.TempDir(), key, m, native, wasm.Fingerprint()).Path
			return l
		}, FromCompile, precompiled.ErrBadSignature.Error(), ""},
		{"not a layer", []string{pubFile}, func(m []byte) *runspec.PrecompiledLayer {
			l := signedLayer(t, dir, key, m, precompile(t, eng, m), wasm.Fingerprint())
			if err := os.WriteFile(l.Path, []byte("not zstd"), 0o600); err != nil {
				t.Fatal(err)
			}
			return l
		}, FromCompile, "reading precompiled layer", ""},
		{"signed, but wasmtime rejects it", []string{pubFile}, func(m []byte) *runspec.PrecompiledLayer {
			return signedLayer(t, dir, key, m, []byte("not native code"), wasm.Fingerprint())
		}, FromCompile, "wasmtime rejected it", ""},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			module := commandModule(byte(i))
			modulePath := filepath.Join(t.TempDir(), "function.wasm")
			if err := os.WriteFile(modulePath, module, 0o644); err != nil {
				t.Fatal(err)
			}
			var logs syncbuf.Buffer
			cfg := runspec.Config{Name: tc.name, ModulePath: modulePath, CacheDir: t.TempDir(),
				TrustedBuildKeys: tc.keys, PrecompiledLayer: tc.layer(module), NoPrecompiledLayer: tc.noLayer}
			got, err := Precompile(t.Context(), cfg, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			if got.From != tc.from || got.Digest != precompiled.Digest(module) {
				t.Fatalf("Precompile = %+v, want from %q, digest %s; log:\n%s", got, tc.from, precompiled.Digest(module), logs.String())
			}
			if tc.reason != "" && !strings.Contains(logs.String(), tc.reason) {
				t.Errorf("log does not say %q:\n%s", tc.reason, logs.String())
			}
			// The cache holds it now: the next run does not compile.
			cfg.PrecompiledLayer = nil
			if again, err := Precompile(t.Context(), cfg); err != nil || again.From != FromCache {
				t.Errorf("second Precompile = %+v, %v, want from the cache", again, err)
			}
		})
	}
}

// precompile returns module's native code from eng (runtime/wasm's
// Precompile, as the builder ships it).
func precompile(t *testing.T, eng *wasm.Engine, module []byte) []byte {
	t.Helper()
	native, err := eng.Precompile(module)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(native)
}
