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

// WithSignKey makes Build add a precompiled layer to every Wasm image (see
// oci.MediaTypePrecompiled): the module compiled by a runtime/wasm engine
// of this binary's configuration, bound to that engine's fingerprint and to
// the module's digest, signed with key. A provider of the same fingerprint
// that trusts the key's public half (--trusted-build-key) loads it instead
// of compiling the module, so a new version's first call does not wait for
// the compile (seconds for a Go module). Others ignore the layer.
func WithSignKey(key ed25519.PrivateKey) Option {
	return func(b *Builder) { b.pre = &precompiler{key: key} }
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
