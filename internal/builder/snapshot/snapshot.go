package snapshot

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Error classes, checked with errors.Is.
var (
	// ErrNotReactor: the module is not a reactor (it cannot be read, exports
	// _start, or has no init function), so it cannot be pre-initialised.
	ErrNotReactor = errors.New("module is not a reactor")
	// ErrUnsupported: the module uses something a snapshot cannot keep
	// (see the package documentation).
	ErrUnsupported = errors.New("module cannot be snapshotted")
	// ErrInitFailed: the module's initialisation trapped or failed.
	ErrInitFailed = errors.New("pre-initialisation failed")
)

// Reserved export names of the instrumented module.
const (
	memoryExport = "faas-preinit:memory"
	globalExport = "faas-preinit:global:"
)

// Init functions: WASI's reactor initialiser, then faas-wasm's.
const (
	initWASI = "_initialize"
	initFaaS = "faas_init"
)

// Snapshot pre-initialises a reactor module and returns the snapshot: it
// runs the start function, _initialize and faas_init (those it has), and
// writes the module back with its memory and globals as they are then and
// without its start function and those two exports.
//
// # Errors
// ErrNotReactor, ErrUnsupported, ErrInitFailed (the trap is in the
// message), ctx's error when it ends first.
func Snapshot(ctx context.Context, reactor []byte) ([]byte, error) {
	m, err := parseModule(reactor)
	switch {
	case errors.Is(err, ErrUnsupported):
		return nil, fmt.Errorf("snapshot: %w", err)
	case err != nil:
		return nil, fmt.Errorf("snapshot: %w: %w", ErrNotReactor, err)
	case m.funcExported("_start"):
		return nil, fmt.Errorf("snapshot: %w: it exports _start (a WASI command ends in proc_exit and cannot be pre-initialised)", ErrNotReactor)
	case !m.funcExported(initWASI) && !m.funcExported(initFaaS):
		return nil, fmt.Errorf("snapshot: %w: it exports neither %s nor %s", ErrNotReactor, initWASI, initFaaS)
	}
	snap, err := m.run(ctx, reactor)
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return snap, nil
}

// state is a module instance's state after initialisation.
type state struct {
	memory  []byte // the instance's, valid until its store closes
	pages   uint32
	globals []wasmtime.Val
}

// run instantiates the instrumented module with deterministic WASI, runs
// its initialisation and returns the snapshot.
func (m *module) run(ctx context.Context, reactor []byte) ([]byte, error) {
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(true)
	// Tables are not snapshotted: without reference types a module cannot
	// grow or set them (no table.grow, table.set, table.fill), and
	// without multi-memory or threads it has one unshared memory.
	cfg.SetWasmReferenceTypes(false)
	cfg.SetWasmMultiMemory(false)
	cfg.SetWasmThreads(false)
	// Compiling a Go module takes seconds (prime-numbers: 6–17 s on the
	// loaded 2-core VM); wasmtime's cache in the user's cache directory
	// (~/.cache/wasmtime) saves that for the next build of the same module
	// (then ~1 s in all). It is an optimisation only: a cache that cannot
	// be set up leaves compilation as it is.
	_ = cfg.CacheConfigLoadDefault()
	engine := wasmtime.NewEngineWithConfig(cfg)
	mod, err := wasmtime.NewModule(engine, m.instrument())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
	}
	dir, err := os.MkdirTemp("", "snapshot-secrets-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	// Preopened (empty) as runtime/wasm preopens it for a function with
	// secrets: guest runtimes such as Go and wasi-libc record the preopened
	// directories while they initialise, so a snapshot only sees those that
	// existed when it was taken. A function without secrets runs the
	// snapshot with no preopen: opening a path there fails (Go: EBADF).
	wasi := wasmtime.NewWasiConfig()
	if err := wasi.PreopenDir(dir, provider.SecretsPath, wasmtime.DIR_READ, wasmtime.FILE_READ); err != nil {
		return nil, err
	}
	store := wasmtime.NewStore(engine)
	defer store.Close()
	store.SetWasi(wasi)
	store.SetEpochDeadline(1)
	linker := wasmtime.NewLinker(engine)
	if err := linker.DefineWasi(); err != nil {
		return nil, err
	}
	if err := defineTraps(linker, mod); err != nil {
		return nil, err
	}
	linker.AllowShadowing(true)
	h := newHost(reactor)
	if err := h.define(linker); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, engine.IncrementEpoch)
	defer stop()
	fail := func(what string, err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s: %w", ErrInitFailed, what, err)
	}
	inst, err := linker.Instantiate(store, mod)
	if err != nil {
		return nil, fail("instantiate", err)
	}
	for _, name := range []string{initWASI, initFaaS} {
		if f := inst.GetFunc(store, name); f != nil {
			if _, err := f.Call(store); err != nil {
				return nil, fail(name, err)
			}
		}
	}
	if h.now >= maxMonotonic {
		return nil, fmt.Errorf("%w: initialisation waited %d s on the clock, more than the %d s a snapshot may", ErrInitFailed, h.now/1_000_000_000, maxMonotonic/1_000_000_000)
	}
	var st state
	if m.memory {
		mem := inst.GetExport(store, memoryExport).Memory()
		st.pages = uint32(mem.Size(store))
		st.memory = mem.UnsafeData(store)
	}
	for i := range m.globals {
		st.globals = append(st.globals, inst.GetExport(store, globalExport+strconv.Itoa(i)).Global().Get(store))
	}
	return m.write(st), nil
}

// instrument returns the module with its memory and every global it
// defines exported under reserved names, for run to read them.
func (m *module) instrument() []byte {
	var exports []wasmbin.Export
	if m.memory {
		exports = append(exports, wasmbin.Export{Name: memoryExport, Kind: wasmbin.KindMemory})
	}
	for i := range m.globals {
		exports = append(exports, wasmbin.Export{Name: globalExport + strconv.Itoa(i), Kind: wasmbin.KindGlobal, Index: uint32(i)})
	}
	return m.encode(map[byte][]byte{secExport: wasmbin.AppendExports(nil, append(exports, m.exports...))})
}

// write returns the snapshot of the module in state st.
func (m *module) write(st state) []byte {
	var exports []wasmbin.Export
	for _, e := range m.exports {
		if e.Kind != wasmbin.KindFunc || (e.Name != initWASI && e.Name != initFaaS) {
			exports = append(exports, e)
		}
	}
	replace := map[byte][]byte{
		secExport: wasmbin.AppendExports(nil, exports),
		secStart:  nil,
	}
	if len(m.globals) > 0 {
		body := wasmbin.AppendU32(nil, uint32(len(m.globals)))
		for i, g := range m.globals {
			body = append(body, g.valType, 0)
			if g.mutable {
				body[len(body)-1] = 1
			}
			body = appendConst(body, st.globals[i])
		}
		replace[secGlobal] = body
	}
	if m.memory {
		limits := m.limits
		limits.Min = st.pages
		replace[secMemory] = wasmbin.AppendLimits(wasmbin.AppendU32(nil, 1), limits)
		replace[secData] = encodeData(st.memory)
	}
	return m.encode(replace)
}

// appendConst appends the constant expression of v.
func appendConst(b []byte, v wasmtime.Val) []byte {
	switch v.Kind() {
	case wasmtime.KindI32:
		b = wasmbin.AppendS64(append(b, wasmbin.OpI32Const), int64(v.I32()))
	case wasmtime.KindI64:
		b = wasmbin.AppendS64(append(b, wasmbin.OpI64Const), v.I64())
	case wasmtime.KindF32:
		b = binary.LittleEndian.AppendUint32(append(b, wasmbin.OpF32Const), math.Float32bits(v.F32()))
	case wasmtime.KindF64:
		b = binary.LittleEndian.AppendUint64(append(b, wasmbin.OpF64Const), math.Float64bits(v.F64()))
	}
	return append(b, wasmbin.OpEnd)
}

// maxZeroGap is the longest run of zero bytes kept inside a data segment
// rather than ending it: a new segment costs about as much (its offset
// expression and sizes) and every segment is work for the engine.
const maxZeroGap = 64

// encodeData returns the data section that writes mem's non-zero bytes
// into a zeroed memory: one active segment per stretch of non-zero bytes,
// stretches less than maxZeroGap zero bytes apart merged.
func encodeData(mem []byte) []byte {
	var segs [][2]int // [start, end) of each segment
	for i := 0; i < len(mem); {
		for i < len(mem) && mem[i] == 0 {
			i++
		}
		if i == len(mem) {
			break
		}
		start, end := i, i
		for i < len(mem) && i-end < maxZeroGap {
			if mem[i] != 0 {
				end = i + 1
			}
			i++
		}
		segs = append(segs, [2]int{start, end})
		i = end
	}
	body := wasmbin.AppendU32(nil, uint32(len(segs)))
	for _, s := range segs {
		body = append(body, 0, wasmbin.OpI32Const) // active, memory 0
		body = wasmbin.AppendS64(body, int64(int32(uint32(s[0]))))
		body = wasmbin.AppendU32(append(body, wasmbin.OpEnd), uint32(s[1]-s[0]))
		body = append(body, mem[s[0]:s[1]]...)
	}
	return body
}

// defineTraps defines the module's function imports other than WASI's
// (such as faas_http, which runtime/wasm gives requests) as functions that
// trap: initialisation may not call them.
func defineTraps(linker *wasmtime.Linker, mod *wasmtime.Module) error {
	for _, imp := range mod.Imports() {
		name, ty := imp.Name(), imp.Type().FuncType()
		if imp.Module() == wasiModule || name == nil || ty == nil {
			continue
		}
		what := imp.Module() + "." + *name
		err := linker.FuncNew(imp.Module(), *name, ty, func(*wasmtime.Caller, []wasmtime.Val) ([]wasmtime.Val, *wasmtime.Trap) {
			return nil, wasmtime.NewTrap(what + " called during pre-initialisation")
		})
		if err != nil {
			return fmt.Errorf("define %s: %w", what, err)
		}
	}
	return nil
}
