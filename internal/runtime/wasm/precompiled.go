package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

// codegen is the part of the engine configuration that compiled code
// depends on. newConfig applies it and Fingerprint names it: a knob that
// changes what Compile produces belongs here, nowhere else. The pooling
// allocator's settings do not (measured: a module serialized by a pooling
// engine loads into an on-demand one and back), so a provider's
// --pool-size does not invalidate shipped precompiled modules.
var codegen = struct {
	epochInterruption bool
	memoryInitCOW     bool
	bulkMemory        bool
	optLevel          wasmtime.OptLevel
}{
	epochInterruption: true,
	memoryInitCOW:     true,
	bulkMemory:        true,
	optLevel:          wasmtime.OptLevelSpeed,
}

// wasmtimeGoVersion is the version of the linked wasmtime-go (hence of
// wasmtime), which the fingerprint names. A constant, not the binary's build
// information, which test binaries lack; TestFingerprint checks it against
// go.mod, so bumping wasmtime-go without updating it fails the tests.
const wasmtimeGoVersion = "v39.0.1"

// fingerprintVersion changes when the fingerprint's meaning does.
const fingerprintVersion = "faas-wasm-engine/1"

var fingerprint = sync.OnceValue(func() string {
	opt := map[wasmtime.OptLevel]string{
		wasmtime.OptLevelNone: "none", wasmtime.OptLevelSpeed: "speed", wasmtime.OptLevelSpeedAndSize: "speed-and-size",
	}[codegen.optLevel]
	return fmt.Sprintf("%s wasmtime-go@%s %s/%s epoch-interruption=%t memory-init-cow=%t bulk-memory=%t opt-level=%s",
		fingerprintVersion, wasmtimeGoVersion, runtime.GOOS, runtime.GOARCH,
		codegen.epochInterruption, codegen.memoryInitCOW, codegen.bulkMemory, opt)
})

// Fingerprint names the compiled code this engine runs: the wasmtime-go
// (hence wasmtime) version, GOOS/GOARCH and the configuration knobs that
// change what Compile produces, e.g. "faas-wasm-engine/1 wasmtime-go@v39.0.1
// linux/amd64 epoch-interruption=true memory-init-cow=true bulk-memory=true
// opt-level=speed". Every engine of a binary has the same fingerprint; two
// binaries with the same fingerprint accept each other's Precompile output,
// unless the CPU lacks a feature the compiling host used (wasmtime checks
// that when loading).
func (e *Engine) Fingerprint() string { return fingerprint() }

// Fingerprint is Engine.Fingerprint, without an engine.
func Fingerprint() string { return fingerprint() }

// Precompile compiles module as Compile does, without the AOT cache, and
// returns its serialized form: what a builder ships beside the module for
// engines of the same Fingerprint (see CompilePrecompiled). It takes as long
// as a cache miss of Compile.
//
// # Errors
// ErrInvalidModule and ErrNotFunction, as Compile.
func (e *Engine) Precompile(module []byte) ([]byte, error) {
	sum := sha256.Sum256(module)
	digest := "sha256:" + hex.EncodeToString(sum[:])
	if !wasmbin.HasHeader(module) {
		return nil, fmt.Errorf("precompile %s: not a WebAssembly core module (bad magic or version): %w", digest, ErrInvalidModule)
	}
	mod, err := wasmtime.NewModule(e.engine, module)
	if err != nil {
		return nil, fmt.Errorf("precompile %s: %w: %w", digest, ErrInvalidModule, err)
	}
	defer mod.Close()
	if _, err := inspect(mod); err != nil {
		return nil, fmt.Errorf("precompile %s: %w", digest, err)
	}
	data, err := mod.Serialize()
	if err != nil {
		return nil, fmt.Errorf("precompile %s: serialize: %w", digest, err)
	}
	return data, nil
}

// CompilePrecompiled is Compile for a module that comes with precompiled,
// its Precompile output from an engine of the same Fingerprint. When the AOT
// cache has no usable entry for module, precompiled becomes that entry
// instead of compiling (tens of milliseconds instead of seconds for a Go
// module) and the observer sees a cache hit. When wasmtime rejects it
// (another wasmtime build or configuration, or a CPU feature this host
// lacks), it is discarded with a debug log and the module is compiled as
// Compile does.
//
// precompiled is native code that runs without validation: it must come
// from a trusted source and be bound to module. Callers check a signature
// over module's digest, the fingerprint and precompiled's digest first
// (package precompiled); loading untrusted bytes here breaks the sandbox.
//
// # Errors
// As Compile.
func (e *Engine) CompilePrecompiled(ctx context.Context, module, precompiled []byte) (*Module, error) {
	if len(precompiled) == 0 {
		return e.Compile(ctx, module)
	}
	return e.compileWith(ctx, module, precompiled)
}

// install writes precompiled as the cache entry at path and loads it from
// there; on failure the entry is removed. The files are not synced, unlike
// a compiled entry's: that saved ~0.1 s of a Go module's first deploy on a
// busy host, and the entry is as safe, since an engine checks an entry
// against its checksum file before its first use and replaces an entry that
// a crash left torn (and there is the precompiled layer to install again).
func (e *Engine) install(path string, precompiled []byte) (*wasmtime.Module, error) {
	release, err := diskcache.Shared(e.cacheDir)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := writeRename(path, precompiled, false); err != nil {
		return nil, err
	}
	if err := writeRename(path+".sum", []byte(checksum(precompiled)+"\n"), false); err != nil {
		os.Remove(path)
		return nil, err
	}
	mod, err := wasmtime.NewModuleDeserializeFile(e.engine, path)
	if err != nil {
		os.Remove(path + ".sum")
		os.Remove(path)
		return nil, fmt.Errorf("wasmtime rejected it: %s", firstLine(err.Error()))
	}
	if id, err := fileIdentity(path); err == nil {
		e.verified.Store(id, struct{}{})
	}
	return mod, nil
}

// firstLine drops what follows the first line of a wasmtime error (its
// backtrace).
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}
