package builder

import (
	"crypto/ed25519"
	"fmt"
	"os"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// WithSignKey makes Build add a precompiled layer to every Wasm image whose
// module has at least DefaultPrecompileMinBytes bytes (see
// WithPrecompileMinBytes; precompiled/layer.MediaType): the module compiled by
// a runtime/wasm engine of this binary's configuration, bound to that
// engine's fingerprint and to the module's digest, signed with key. A
// provider of the same fingerprint that trusts the key's public half
// (--trusted-build-key) loads it instead of compiling the module, so a new
// version's first call does not wait for the compile (seconds for a Go
// module). Others ignore the layer.
func WithSignKey(key ed25519.PrivateKey) Option {
	return func(b *Builder) { b.pre = &precompiler{key: key} }
}

// DefaultPrecompileMinBytes is the smallest module WithSignKey ships
// precompiled by default, between this project's Rust and C modules (under
// 200 KB) and its Go modules (never under 1.5 MB). Measured on the 2-core
// development machine at load 3-8: Rust modules of 168-188 KB compile in
// 0.16-0.36 s, less than a container's first deploy (0.4-1.2 s), and their
// native code, 680-770 KB, is still 340-380 KB compressed: alone more than
// the 300 KB a Rust Wasm image may weigh (issue 19). At load 30-50 the same
// compile took 1.7-1.9 s, where the layer loads in tens of ms: the price of
// module-only images. Go modules compile in 8-12 s (30 s at load 30-50)
// and their layer loads in tens of ms. The rule is by size, not by a timed
// compile, so the same source always gives the same image.
const DefaultPrecompileMinBytes = 512 << 10

// WithPrecompileMinBytes sets the smallest module (in bytes) WithSignKey
// ships precompiled (default DefaultPrecompileMinBytes; 0 ships every
// module's); smaller modules' images hold the module only.
func WithPrecompileMinBytes(n int64) Option {
	return func(b *Builder) { b.preMin = n }
}

// precompiler compiles and signs modules for WithSignKey; its engine is
// made on first use.
type precompiler struct {
	key  ed25519.PrivateKey
	once sync.Once
	eng  *wasm.Engine
	err  error
}

func (p *precompiler) engine() (*wasm.Engine, error) {
	p.once.Do(func() {
		dir, err := os.MkdirTemp("", "faas-wasm-precompile-")
		if err != nil {
			p.err = err
			return
		}
		// Precompile does not use the engine's cache directory.
		defer os.RemoveAll(dir)
		// Pooling is an allocator setting, not part of the compiled code.
		p.eng, p.err = wasm.NewEngine(dir, wasm.WithPooling(false))
	})
	return p.eng, p.err
}

// precompiles reports whether module's image gets a precompiled layer.
func (b *Builder) precompiles(module []byte) bool {
	return b.pre != nil && int64(len(module)) >= b.preMin
}

// addPrecompiled returns img with the signed precompiled form of module.
func (b *Builder) addPrecompiled(img v1.Image, name string, module []byte) (v1.Image, error) {
	eng, err := b.pre.engine()
	if err != nil {
		return nil, fmt.Errorf("precompile: wasm engine: %w", err)
	}
	start := time.Now()
	data, err := eng.Precompile(module)
	if err != nil {
		return nil, fmt.Errorf("precompile: %w", err)
	}
	c := precompiled.Sign(b.pre.key, precompiled.Digest(module), eng.Fingerprint(), data)
	out, err := oci.AddPrecompiled(img, oci.Precompiled{
		Data: data, Engine: c.Engine, Module: c.Module, KeyID: c.KeyID, Signature: c.Signature,
	})
	if err != nil {
		return nil, err
	}
	b.log.Info("precompiled", "function", name, "bytes", len(data), "key", c.KeyID,
		"engine", c.Engine, "took", time.Since(start).Round(time.Millisecond))
	return out, nil
}
