package wasm

// capi.go, capi.c and capi.h are the package's only cgo code. They reach
// parts of wasmtime's C API that wasmtime-go v39 does not expose, against the
// static libwasmtime that wasmtime-go already links:
//
//   - the pooling instance allocator (wasmtime_pooling_allocation_strategy_set);
//   - in-memory stdin (wasi_config_set_stdin_bytes);
//   - a call's whole WASI context (environment, argv, preopen, stdio) built
//     and given to the store in one C call, faas_store_prepare: wasmtime-go's
//     WasiConfig makes a cgo call and a C string per variable;
//   - instantiation from an InstancePre (wasmtime_linker_instantiate_pre,
//     once per module: the imports are not looked up again for every
//     instance) and the call of _start, _initialize or faas_handle, each in
//     one C call (faas_instantiate, faas_invoke) with wasmtime_func_call_unchecked
//     (the module check fixed their types), where wasmtime-go's Func.Call
//     allocates its type, values and errors with finalizers. A panic in a Go
//     host function (faas_http) becomes a trap of that call rather than a
//     panic of Invoke, since wasmtime-go re-raises it only in its own calls;
//   - an epoch-deadline callback (wasmtime_store_epoch_deadline_callback) that
//     interrupts a guest when its wall-time deadline passes or when the caller
//     cancels;
//   - C implementations of three WASI functions, defined over WASI's own with
//     wasmtime_linker_define_func_unchecked: clock_time_get, whose monotonic
//     clock is the host's CLOCK_MONOTONIC plus a fixed offset (continuous
//     across instances, snapshots and warm calls; WASI's restarts at zero for
//     every WASI context); poll_oneoff, which sleeps in slices and stops
//     at the call's deadline or cancellation (WASI's blocks the thread for the
//     whole timeout, out of reach of epoch interruption); and fd_write, which
//     copies what the guest writes to fds 1 and 2 into the slot's stdout and
//     stderr buffers and stops the guest as soon as either passes its limit.
//     WASI's stdout and stderr would be files opened by path for every call
//     (wasmtime's C API takes no descriptor; the memfds used before cost a
//     Rust echo 54 vs 28 µs p50, docs/benchmarks), and
//     wasi_config_set_stdout_custom runs every write through a tokio worker
//     thread (measured: 119 µs vs 37 µs per warm call). WASI's own stdout and
//     stderr stay at their default sinks, which its other functions still
//     describe as before. Writes to every other descriptor fail with EBADF,
//     as WASI's do here (no other descriptor a guest can hold is writable); a
//     guest that closes or renumbers fds 1 and 2 still writes its stdout and
//     stderr through them (see faas_fd_write).
//
// wasmtime's declarations come from wasmtime_api.h and wasmtime_layouts.h,
// not from wasmtime's headers: cgo cannot put a dependency's directory (the
// headers ship in wasmtime-go's build/include) on the include path. They are
// checked against those headers by TestCAPIMatchesWasmtimeHeaders, and
// TestWasmtimeGoVersionChecked fails on any other wasmtime-go version than
// checkedWasmtimeGo until the layer has been re-checked (its message lists
// what to re-check).
//
// wasmtime-go has no public accessor for the C objects behind its Config,
// Store, Linker and Module (only Store.Context, the store's context,
// whereas the epoch callback is set on the store itself). Each keeps the
// pointer in an unexported field _ptr; cField locates that field by name and
// C type through reflect, once per type, so a wasmtime-go that renames,
// retypes or drops it makes NewEngine fail instead of handing C a wrong pointer.

/*
#include <stdlib.h>
#include "capi.h"
*/
import "C"

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"time"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Stop reasons recorded in a callState (REASON_* in capi.h).
const (
	stopNone     = int(C.REASON_NONE)
	stopDeadline = int(C.REASON_DEADLINE)
	stopCancel   = int(C.REASON_CANCEL)
	stopOverflow = int(C.REASON_OVERFLOW)
	stopLogFlood = int(C.REASON_LOG_OVERFLOW)
)

const (
	// stderrLimit is how much a guest may write to stderr in one call
	// before it is stopped.
	stderrLimit = 16 << 20
	// stderrKeep is how much of the end of stderr is handed to Config.Log.
	stderrKeep = 1 << 20
)

// checkedWasmtimeGo is the wasmtime-go version this layer was last checked
// against: the declarations of wasmtime_api.h and wasmtime_layouts.h, the
// ownership rules of the functions they declare, and the _ptr fields read by
// cField. TestWasmtimeGoVersionChecked fails for any other version.
const checkedWasmtimeGo = "v39.0.1"

// cField is the location of the C pointer inside wasmtime-go's wrapper type T.
type cField[T any] struct {
	offset uintptr
	err    error
}

// findCField locates T's field _ptr, which must be a pointer to the C type
// ctype as cgo names it in wasmtime-go's package ("struct_wasmtime_store"
// for C.wasmtime_store_t = struct wasmtime_store).
func findCField[T any](ctype string) cField[T] {
	t := reflect.TypeFor[T]()
	f, ok := t.FieldByName("_ptr")
	if !ok || len(f.Index) != 1 || f.Type.Kind() != reflect.Pointer ||
		f.Type.Elem().PkgPath() != t.PkgPath() || f.Type.Elem().Name() != "_Ctype_"+ctype {
		return cField[T]{err: fmt.Errorf("%s no longer holds its C object in a field _ptr *C.%s: "+
			"wasmtime-go changed, re-check the cgo layer (capi.go) against it", t, ctype)}
	}
	return cField[T]{offset: f.Offset}
}

var (
	configPtr = findCField[wasmtime.Config]("struct_wasm_config_t")
	storePtr  = findCField[wasmtime.Store]("struct_wasmtime_store")
	linkerPtr = findCField[wasmtime.Linker]("struct_wasmtime_linker")
	modulePtr = findCField[wasmtime.Module]("struct_wasmtime_module")
)

// checkCFields reports whether every cField was found.
func checkCFields() error {
	return errors.Join(configPtr.err, storePtr.err, linkerPtr.err, modulePtr.err)
}

// of returns the C object behind obj; the caller keeps obj alive
// (runtime.KeepAlive) while C uses it.
func (f cField[T]) of(obj *T) unsafe.Pointer {
	if f.err != nil {
		panic(f.err) // NewEngine has already returned this error
	}
	p := *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(obj), f.offset))
	if p == nil {
		panic(fmt.Sprintf("wasm: %T used after Close or after being given to a store", obj))
	}
	return p
}

// enablePooling switches cfg to the pooling instance allocator with room for
// slots concurrent instances of up to maxMemory bytes of linear memory each.
func enablePooling(cfg *wasmtime.Config, slots uint32, maxMemory, keepResident uint64) {
	C.faas_pooling((*C.wasm_config_t)(configPtr.of(cfg)), C.uint32_t(slots), C.size_t(maxMemory), C.size_t(keepResident))
	runtime.KeepAlive(cfg)
}

// defineShadows replaces wasi_snapshot_preview1.clock_time_get and
// poll_oneoff in l with the C implementations of capi.c. The linker must
// allow shadowing.
func defineShadows(l *wasmtime.Linker) error {
	msg := C.faas_define_shadows((*C.wasmtime_linker_t)(linkerPtr.of(l)))
	runtime.KeepAlive(l)
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}

// storeContext is wasmtime_store_context of the store cField found; the
// tests compare it with wasmtime-go's public Store.Context.
func storeContext(store *wasmtime.Store) unsafe.Pointer {
	cx := unsafe.Pointer(C.wasmtime_store_context((*C.wasmtime_store_t)(storePtr.of(store))))
	runtime.KeepAlive(store)
	return cx
}

// callState is the state of one instance slot: the C struct read by the
// epoch callback and the host functions, which holds the guest's stdout and
// stderr. It is reused call after call.
type callState struct {
	c *C.faas_call
}

// outputKeep is the largest output buffer a slot keeps between calls;
// larger ones are freed once read.
const outputKeep = 64 << 10

func newCallState() *callState {
	return &callState{c: C.faas_call_new(C.int64_t(stderrLimit), C.size_t(stderrKeep))}
}

// free releases the C memory; no store may reference it.
func (s *callState) free() { C.faas_call_free(s.c) }

// arm resets the state for a new call — no output yet — with a wall-clock
// deadline and a response cap.
func (s *callState) arm(deadline time.Time, maxResponse int64) {
	ns := time.Until(deadline).Nanoseconds() + int64(C.faas_now())
	C.faas_call_arm(s.c, C.int64_t(ns), C.int64_t(maxResponse))
}

// stop asks the running guest to stop at the next epoch tick. The first
// reason recorded wins.
func (s *callState) stop(reason int) { C.faas_call_stop(s.c, C.int(reason)) }

// reason reports why the guest was stopped (stopNone if it was not).
func (s *callState) reason() int { return int(C.faas_call_reason(s.c)) }

// output returns copies of what the guest wrote this call to stdout (at most
// the call's response cap: a write beyond it stopped the guest) and of the
// last stderrKeep bytes of its stderr, and frees large buffers.
func (s *callState) output() (stdout, stderr []byte) {
	c := s.c
	if c.out_len > 0 {
		stdout = bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(c.out)), c.out_len))
	}
	if n := int(c.err_len); n > 0 {
		b := unsafe.Slice((*byte)(unsafe.Pointer(c.err)), n)
		stderr = bytes.Clone(b[max(0, n-stderrKeep):])
	}
	if c.out_cap > outputKeep || c.err_cap > outputKeep {
		C.faas_call_trim(c, outputKeep)
	}
	return stdout, stderr
}

// enter binds the calling OS thread to this state, for the host functions
// that run on it (poll_oneoff's deadline). The caller must hold the thread
// with runtime.LockOSThread until leave.
func (s *callState) enter() { C.faas_enter(s.c) }

// leave unbinds the calling OS thread.
func (s *callState) leave() { C.faas_leave() }

// initStore caps store's linear memory at memoryLimit bytes and installs its
// epoch-deadline callback, bound to s.
func (s *callState) initStore(store *wasmtime.Store, memoryLimit int64) {
	C.faas_store_init((*C.wasmtime_store_t)(storePtr.of(store)), s.c, C.int64_t(memoryLimit))
	runtime.KeepAlive(store)
}

// wasiContext is what a call's WASI context holds besides stdin and the
// slot's stdout and stderr. Its strings are NUL-terminated.
type wasiContext struct {
	env   []byte // per variable: name, NUL, value, NUL (see appendEnv)
	nenv  int
	argv0 []byte // nil: no arguments
	dir   []byte // host directory preopened read-only at provider.SecretsPath; nil: none (secretsPreopen)
}

// appendEnv appends env to b in wasiContext.env's form. Each name and value
// ends at its first NUL, as a C string would.
func appendEnv(b []byte, env []envVar) []byte {
	for _, v := range env {
		b = appendCString(b, v.key)
		b = appendCString(b, v.value)
	}
	return b
}

// appendCString appends s up to its first NUL, and a NUL.
func appendCString(b []byte, s string) []byte {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return append(append(b, s...), 0)
}

var secretsPathC = appendCString(nil, provider.SecretsPath)

// prepare gives store a new WASI context for one call — w's environment,
// arguments and preopen, in-memory stdin (a copy of in); the guest's writes
// to stdout and stderr reach the slot's buffers (faas_fd_write) — and an
// epoch deadline of one tick.
func (s *callState) prepare(store *wasmtime.Store, w *wasiContext, in []byte) error {
	var env, argv0, stdin, dir *C.char
	if len(w.env) > 0 {
		env = (*C.char)(unsafe.Pointer(&w.env[0]))
	}
	if w.argv0 != nil {
		argv0 = (*C.char)(unsafe.Pointer(&w.argv0[0]))
	}
	if len(in) > 0 {
		stdin = (*C.char)(unsafe.Pointer(&in[0]))
	}
	if w.dir != nil {
		dir = (*C.char)(unsafe.Pointer(&w.dir[0]))
	}
	var msg *C.char
	res := C.faas_store_prepare((*C.wasmtime_store_t)(storePtr.of(store)), env, C.size_t(w.nenv), argv0,
		unsafe.Pointer(stdin), C.size_t(len(in)),
		dir, (*C.char)(unsafe.Pointer(&secretsPathC[0])), &msg)
	runtime.KeepAlive(store)
	runtime.KeepAlive(w)
	runtime.KeepAlive(in)
	switch res {
	case C.PREPARE_OK:
		return nil
	case C.PREPARE_PREOPEN:
		return fmt.Errorf("preopen secrets %s: failed to preopen directory", w.dir[:len(w.dir)-1])
	default:
		defer C.free(unsafe.Pointer(msg))
		return fmt.Errorf("set WASI context: %s", C.GoString(msg))
	}
}

// instancePre is a module with its imports resolved against the engine's
// linker, once, for every instantiation.
type instancePre struct {
	p       *C.wasmtime_instance_pre_t
	cleanup runtime.Cleanup
}

// newInstancePre resolves mod's imports in l. The result is released by
// close, or by the garbage collector if close is not called.
func newInstancePre(l *wasmtime.Linker, mod *wasmtime.Module) (*instancePre, error) {
	pre := &instancePre{}
	msg := C.faas_instance_pre((*C.wasmtime_linker_t)(linkerPtr.of(l)), (*C.wasmtime_module_t)(modulePtr.of(mod)), &pre.p)
	runtime.KeepAlive(l)
	runtime.KeepAlive(mod)
	if msg != nil {
		defer C.free(unsafe.Pointer(msg))
		return nil, errors.New(C.GoString(msg))
	}
	pre.cleanup = runtime.AddCleanup(pre, func(p *C.wasmtime_instance_pre_t) { C.wasmtime_instance_pre_delete(p) }, pre.p)
	return pre, nil
}

func (p *instancePre) close() {
	p.cleanup.Stop()
	C.wasmtime_instance_pre_delete(p.p)
	p.p = nil
}

// instance is an instance in a store.
type instance struct {
	v      C.wasmtime_instance_t
	memory unsafe.Pointer // base of its exported linear memory, or nil
	// funcs holds the exports call has looked up, by export (store_id 0:
	// not yet).
	funcs [3]C.wasmtime_func_t
}

// instantiate makes a new instance of p in store.
//
// # Errors
// *instantiateError: the pool is exhausted, the memory limit is below the
// module's minimum, ...
func (p *instancePre) instantiate(store *wasmtime.Store) (instance, error) {
	var inst instance
	var memory *C.uint8_t
	var out C.faas_outcome
	C.faas_instantiate((*C.wasmtime_store_t)(storePtr.of(store)), p.p, &inst.v, &memory, &out)
	runtime.KeepAlive(store)
	runtime.KeepAlive(p)
	if out.kind != C.OUTCOME_OK {
		return instance{}, &instantiateError{errors.New(takeMessage(&out))}
	}
	inst.memory = unsafe.Pointer(memory)
	return inst, nil
}

// export is a guest function the host calls.
type export int

const (
	exportStart      export = C.EXPORT_START
	exportInitialize export = C.EXPORT_INITIALIZE
	exportHandle     export = C.EXPORT_HANDLE
)

// exitStatus is a guest's call of WASI proc_exit.
type exitStatus struct{ code int }

func (e *exitStatus) Error() string { return fmt.Sprintf("guest exited with status %d", e.code) }

// call calls the export fn of inst. When the guest did not finish normally it
// returns the size of its linear memory and the error: *ExitError when
// faas_handle returned non-zero (the instance is intact), *exitStatus when
// the guest called proc_exit (status 0 included), *TrapError when it trapped
// or was interrupted.
func (inst *instance) call(store *wasmtime.Store, fn export) (uint64, error) {
	var out C.faas_outcome
	C.faas_invoke((*C.wasmtime_store_t)(storePtr.of(store)), &inst.v, C.int(fn), &inst.funcs[fn], &out)
	runtime.KeepAlive(store)
	switch out.kind {
	case C.OUTCOME_OK:
		if out.code == 0 {
			return 0, nil
		}
		return uint64(out.memory), &ExitError{Code: int(out.code)}
	case C.OUTCOME_EXIT:
		return uint64(out.memory), &exitStatus{code: int(out.code)}
	default:
		return uint64(out.memory), &TrapError{Message: trapMessage(takeMessage(&out))}
	}
}

// takeMessage returns out's message and frees it.
func takeMessage(out *C.faas_outcome) string {
	defer C.free(unsafe.Pointer(out.message))
	return C.GoString(out.message)
}
