package wasm

import (
	"fmt"
	"strings"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// Shape is how a module is run, decided by its exports.
type Shape int

const (
	// ShapeCommand: exports _start (whatever else it exports); a fresh
	// instance runs _start per request.
	ShapeCommand Shape = iota + 1
	// ShapeReactor: exports faas_handle and _initialize; _initialize runs once
	// per instance, faas_handle once per request.
	ShapeReactor
	// ShapeSnapshot: exports faas_handle but no _initialize — a reactor that
	// was pre-initialised (internal/builder/snapshot), so a new instance only runs faas_handle.
	ShapeSnapshot
)

// String returns "command", "reactor" or "snapshot".
func (s Shape) String() string {
	switch s {
	case ShapeCommand:
		return "command"
	case ShapeReactor:
		return "reactor"
	case ShapeSnapshot:
		return "snapshot"
	}
	return fmt.Sprintf("Shape(%d)", int(s))
}

// Module is a compiled function module, ready to instantiate. It is safe for
// concurrent use and may back any number of Functions.
type Module struct {
	digest    string
	shape     Shape
	minMemory uint64 // bytes of linear memory at instantiation
	codeSize  int64
	mod       *wasmtime.Module
	pre       *instancePre // nil when the imports could not be resolved: preErr
	preErr    error
	engine    *Engine
}

// Digest returns "sha256:<hex>" of the module's bytes.
func (m *Module) Digest() string { return m.digest }

// CodeSize returns the size in bytes of the module's compiled code (its AOT
// cache entry, memory-mapped), or 0 when the cache could not keep it.
func (m *Module) CodeSize() int64 { return m.codeSize }

// Shape returns how the module runs.
func (m *Module) Shape() Shape { return m.shape }

// Host import modules a function may use.
const (
	wasiModule = "wasi_snapshot_preview1"
	httpModule = "faas_http"
)

// minMemory returns the initial size in bytes of the module's defined
// memories.
func minMemory(mod *wasmtime.Module) uint64 {
	var n uint64
	for _, ex := range mod.Exports() {
		if mt := ex.Type().MemoryType(); mt != nil {
			n = max(n, mt.Minimum()*64<<10)
		}
	}
	return n
}

// inspect decides a compiled module's shape and checks that every import is
// one the host provides. A module that exports _start is a command module
// even when it also exports faas_handle: a Rust command module whose library
// declares faas_wasm_fn::reactor! does (rustc exports a library's
// #[no_mangle] functions from the binary too), and its _start is what it
// was built to run.
//
// # Errors
// An error wrapping ErrNotFunction naming what is missing or unsupported.
func inspect(mod *wasmtime.Module) (Shape, error) {
	funcs := map[string]*wasmtime.FuncType{}
	for _, ex := range mod.Exports() {
		if ft := ex.Type().FuncType(); ft != nil {
			funcs[ex.Name()] = ft
		}
	}
	for _, im := range mod.Imports() {
		name := ""
		if n := im.Name(); n != nil {
			name = *n
		}
		if m := im.Module(); m != wasiModule && m != httpModule {
			return 0, fmt.Errorf("module imports %s.%s, but the host only provides %s and %s: %w",
				m, name, wasiModule, httpModule, ErrNotFunction)
		}
	}
	if ft, ok := funcs["_start"]; ok {
		if len(ft.Params()) != 0 || len(ft.Results()) != 0 {
			return 0, fmt.Errorf("export _start must have type () -> (): %w", ErrNotFunction)
		}
		return ShapeCommand, nil
	}
	if ft, ok := funcs["faas_handle"]; ok {
		if len(ft.Params()) != 0 || len(ft.Results()) != 1 || ft.Results()[0].Kind() != wasmtime.KindI32 {
			return 0, fmt.Errorf("export faas_handle must have type () -> i32: %w", ErrNotFunction)
		}
		if ft, ok := funcs["_initialize"]; ok {
			if len(ft.Params()) != 0 || len(ft.Results()) != 0 {
				return 0, fmt.Errorf("export _initialize must have type () -> (): %w", ErrNotFunction)
			}
			return ShapeReactor, nil
		}
		return ShapeSnapshot, nil
	}
	names := make([]string, 0, len(funcs))
	for n := range funcs {
		names = append(names, n)
	}
	return 0, fmt.Errorf("module exports neither _start (command) nor faas_handle (reactor); its function exports are [%s]: %w",
		strings.Join(names, " "), ErrNotFunction)
}

// Close releases the compiled code. Close the Functions using the module
// first; the module must not be used afterwards. Modules not closed are
// released by the garbage collector.
func (m *Module) Close() {
	if m.pre != nil {
		m.pre.close()
	}
	m.mod.Close()
}

// instantiate makes a new instance of the module in store.
//
// # Errors
// *instantiateError.
func (m *Module) instantiate(store *wasmtime.Store) (instance, error) {
	if m.pre == nil {
		return instance{}, m.preErr
	}
	return m.pre.instantiate(store)
}
