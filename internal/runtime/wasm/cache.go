package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Compile returns the module for these bytes: loaded from the AOT cache
// (cacheDir/<sha256>.cwasm, memory-mapped) or compiled once and serialized
// there with an atomic write. Concurrent calls for the same bytes compile
// once. A cache file that fails its checksum or that wasmtime rejects is
// rebuilt. Compile is slow for a cache miss (seconds for a Go module): call it
// at deploy time, never per request. When ctx ends first Compile returns, and
// the compilation already started completes in the background into the
// cache; a ctx ended already starts none.
//
// # Errors
// ErrInvalidModule for bytes that are not a WebAssembly module; ErrNotFunction
// when the module exports neither _start nor faas_handle or imports what the
// host does not provide; ctx's error when it ends first.
func (e *Engine) Compile(ctx context.Context, module []byte) (*Module, error) {
	return e.compileWith(ctx, module, nil)
}

// compileWith is Compile, installing precompiled (when not nil) as the cache
// entry instead of compiling when there is none (see CompilePrecompiled).
func (e *Engine) compileWith(ctx context.Context, module, precompiled []byte) (*Module, error) {
	sum := sha256.Sum256(module)
	key := hex.EncodeToString(sum[:])
	if err := ctx.Err(); err != nil {
		// Checked first: a compile that ends at once would race ctx below.
		return nil, fmt.Errorf("compile sha256:%s: %w", key, err)
	}
	ch := e.group.DoChan(key, func() (any, error) {
		if !e.beginLoad() {
			return nil, fmt.Errorf("compile sha256:%s: engine %w", key, ErrClosed)
		}
		defer e.loads.Done()
		return e.load(key, module, precompiled)
	})
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("compile sha256:%s: %w", key, ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*Module), nil
	}
}

func (e *Engine) cachePath(key string) string {
	return filepath.Join(e.cacheDir, key+".cwasm")
}

// load returns the module from the cache, or from precompiled (when not nil
// and accepted by wasmtime) made the cache entry, or compiles and caches it.
func (e *Engine) load(key string, module, precompiled []byte) (*Module, error) {
	digest := "sha256:" + key
	if !wasmbin.HasHeader(module) {
		return nil, fmt.Errorf("compile %s: not a WebAssembly core module (bad magic or version): %w", digest, ErrInvalidModule)
	}
	path := e.cachePath(key)
	mod, err := e.loadCached(path)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist):
		mod = nil
	default:
		e.log.Warn("wasm cache entry unusable, recompiling", "digest", digest, "err", err)
		mod = nil
	}
	written := mod == nil
	if mod == nil && precompiled != nil {
		if mod, err = e.install(path, precompiled); err != nil {
			e.log.Info("precompiled module not used, compiling", "digest", digest, "reason", err)
			mod = nil
		}
	}
	cached := mod != nil
	if mod == nil {
		if mod, err = e.compile(digest, module, path); err != nil {
			return nil, err
		}
	}
	if written {
		e.trim(path)
	}
	if e.opts.observer != nil {
		e.opts.observer.ModuleLoaded(cached)
	}
	shape, err := inspect(mod)
	if err != nil {
		mod.Close()
		return nil, fmt.Errorf("compile %s: %w", digest, err)
	}
	var size int64
	if fi, err := os.Stat(path); err == nil {
		size = fi.Size()
	}
	m := &Module{digest: digest, shape: shape, minMemory: minMemory(mod), codeSize: size, mod: mod, engine: e}
	if m.pre, err = newInstancePre(e.linker, mod); err != nil {
		m.preErr = &instantiateError{err}
	}
	return m, nil
}

// loadCached memory-maps a cache entry after checking it against its
// checksum file (once per file version per engine). A missing entry gives an
// error wrapping fs.ErrNotExist.
func (e *Engine) loadCached(path string) (*wasmtime.Module, error) {
	release, err := diskcache.Shared(e.cacheDir)
	if err != nil {
		return nil, err
	}
	defer release()
	want, err := os.ReadFile(path + ".sum")
	if err != nil {
		return nil, err
	}
	id, err := fileIdentity(path)
	if err != nil {
		return nil, err
	}
	if _, ok := e.verified.Load(id); !ok {
		got, err := checksumFile(path)
		if err != nil {
			return nil, err
		}
		if got != strings.TrimSpace(string(want)) {
			return nil, fmt.Errorf("checksum mismatch: file has %s, expected %s", got, strings.TrimSpace(string(want)))
		}
		e.verified.Store(id, struct{}{})
	}
	mod, err := wasmtime.NewModuleDeserializeFile(e.engine, path)
	if err != nil {
		return nil, fmt.Errorf("deserialize: %w", err)
	}
	if err := diskcache.Touch(path); err != nil {
		e.log.Warn("wasm cache entry not marked used", "err", err)
	}
	return mod, nil
}

// trim bounds the cache directory after the entry at path was written
// (WithCacheLimit), keeping that entry. Failures are logged: the module
// itself is usable.
func (e *Engine) trim(path string) {
	res, err := diskcache.Trim(e.cacheDir, ".cwasm", e.opts.cacheLimit, path)
	if err != nil {
		e.log.Warn("wasm cache trim failed", "err", err)
	}
	if len(res.Removed) > 0 {
		e.log.Info("wasm cache trimmed", "removed", len(res.Removed), "bytes", res.Bytes, "limit", e.opts.cacheLimit)
	}
}

// compile compiles module and writes its serialized form and checksum.
// Failing to write the cache is logged, not fatal.
func (e *Engine) compile(digest string, module []byte, path string) (*wasmtime.Module, error) {
	e.compiles.Add(1)
	mod, err := wasmtime.NewModule(e.engine, module)
	if err != nil {
		return nil, fmt.Errorf("compile %s: %w: %w", digest, ErrInvalidModule, err)
	}
	if _, err := inspect(mod); err != nil {
		mod.Close()
		return nil, fmt.Errorf("compile %s: %w", digest, err)
	}
	data, err := mod.Serialize()
	if err != nil {
		e.log.Warn("wasm cache write failed", "digest", digest, "err", err)
		return mod, nil
	}
	release, err := diskcache.Shared(e.cacheDir)
	if err == nil {
		defer release()
		err = writeAtomic(path, data)
	}
	if err == nil {
		err = writeAtomic(path+".sum", []byte(checksum(data)+"\n"))
	}
	if err != nil {
		e.log.Warn("wasm cache write failed", "digest", digest, "err", err)
		return mod, nil
	}
	// Serve from the memory-mapped file, as every later load will.
	cached, err := wasmtime.NewModuleDeserializeFile(e.engine, path)
	if err != nil {
		e.log.Warn("wasm cache entry just written cannot be loaded", "digest", digest, "err", err)
		return mod, nil
	}
	mod.Close()
	return cached, nil
}

// fileIdentity names one version of a file: device, inode, size and
// modification time. The cache never rewrites a file in place, so a new
// version has a new identity.
func fileIdentity(path string) (string, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return "", &fs.PathError{Op: "stat", Path: path, Err: err}
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec), nil
}

// checksumFile checksums a file through a read-only mapping (no copy).
func checksumFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if fi.Size() == 0 {
		return checksum(nil), nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return "", fmt.Errorf("mmap %s: %w", path, err)
	}
	defer unix.Munmap(data)
	return checksum(data), nil
}

func checksum(data []byte) string {
	return "crc32c:" + strconv.FormatUint(uint64(crc32.Checksum(data, castagnoli)), 16) + " size:" + strconv.Itoa(len(data))
}

// writeAtomic writes data to path through a synced temporary file and a rename.
func writeAtomic(path string, data []byte) error { return writeRename(path, data, true) }

// writeRename writes data to path through a temporary file and a rename,
// syncing the file first when sync is set.
func writeRename(path string, data []byte, sync bool) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
