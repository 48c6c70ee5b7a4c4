package wasm

// This is the package's only cgo file. It reaches parts of wasmtime's C API
// that wasmtime-go v39 does not expose, against the static libwasmtime that
// wasmtime-go already links:
//
//   - the pooling instance allocator (wasmtime_pooling_allocation_strategy_set);
//   - in-memory stdin (wasi_config_set_stdin_bytes); stdout and stderr go to
//     per-slot memfds, because wasi_config_set_stdout_custom runs every write
//     through a tokio worker thread (measured: 119 µs vs 37 µs per warm call);
//   - an epoch-deadline callback (wasmtime_store_epoch_deadline_callback) that
//     interrupts a guest when its wall-time deadline passes, when the caller
//     cancels, or when its stdout or stderr grew past their limits;
//   - a C implementation of wasi_snapshot_preview1.clock_time_get that shadows
//     WASI's: its monotonic clock is the host's CLOCK_MONOTONIC plus a fixed
//     offset, continuous across instances, snapshots and warm calls (WASI's
//     own restarts at zero for every WASI context).
//
// The prototypes below are declared here rather than taken from wasmtime's
// headers (which live in the module cache, outside any stable include path).
// wasmtime-go keeps each object's C pointer as the first field of its Go
// struct (Config, WasiConfig, Store, Linker); cPtr reads it, and the tests
// exercise every such access.

/*
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct wasm_config_t wasm_config_t;
typedef struct wasi_config_t wasi_config_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasmtime_caller wasmtime_caller_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasmtime_pooling_allocation_config_t pool_config_t;
typedef struct { size_t size; uint8_t *data; } byte_vec_t;
typedef struct { size_t size; wasm_valtype_t **data; } valtype_vec_t;
typedef union { int32_t i32; int64_t i64; uint8_t v128[16]; } val_raw_t;
typedef struct { struct { uint64_t store_id; uint32_t p1; }; uint32_t p2; } memory_ref_t;
typedef struct { uint8_t kind; union { memory_ref_t memory; uint8_t pad[24]; } of; } extern_t;

extern pool_config_t *wasmtime_pooling_allocation_config_new(void);
extern void wasmtime_pooling_allocation_config_delete(pool_config_t *);
extern void wasmtime_pooling_allocation_config_total_memories_set(pool_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_tables_set(pool_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_core_instances_set(pool_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_component_instances_set(pool_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_total_gc_heaps_set(pool_config_t *, uint32_t);
extern void wasmtime_pooling_allocation_config_max_memory_size_set(pool_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(pool_config_t *, size_t);
extern void wasmtime_pooling_allocation_config_table_keep_resident_set(pool_config_t *, size_t);
extern void wasmtime_pooling_allocation_strategy_set(wasm_config_t *, const pool_config_t *);
extern void wasm_byte_vec_new_uninitialized(byte_vec_t *, size_t);
extern void wasi_config_set_stdin_bytes(wasi_config_t *, byte_vec_t *);
extern bool wasi_config_set_stdout_file(wasi_config_t *, const char *);
extern bool wasi_config_set_stderr_file(wasi_config_t *, const char *);
extern void wasmtime_store_epoch_deadline_callback(wasmtime_store_t *,
	wasmtime_error_t *(*)(wasmtime_context_t *, void *, uint64_t *, uint8_t *), void *, void (*)(void *));
extern wasmtime_error_t *wasmtime_error_new(const char *);
extern wasmtime_error_t *wasmtime_linker_define_func_unchecked(wasmtime_linker_t *, const char *, size_t,
	const char *, size_t, const wasm_functype_t *,
	wasm_trap_t *(*)(void *, wasmtime_caller_t *, val_raw_t *, size_t), void *, void (*)(void *));
extern void wasmtime_error_message(const wasmtime_error_t *, byte_vec_t *);
extern void wasmtime_error_delete(wasmtime_error_t *);
extern void wasm_byte_vec_delete(byte_vec_t *);
extern bool wasmtime_caller_export_get(wasmtime_caller_t *, const char *, size_t, extern_t *);
extern wasmtime_context_t *wasmtime_caller_context(wasmtime_caller_t *);
extern uint8_t *wasmtime_memory_data(const wasmtime_context_t *, const memory_ref_t *);
extern size_t wasmtime_memory_data_size(const wasmtime_context_t *, const memory_ref_t *);
extern wasm_valtype_t *wasm_valtype_new(uint8_t);
extern void wasm_valtype_vec_new(valtype_vec_t *, size_t, wasm_valtype_t *const[]);
extern wasm_functype_t *wasm_functype_new(valtype_vec_t *, valtype_vec_t *);
extern void wasm_functype_delete(wasm_functype_t *);

// Offset added to CLOCK_MONOTONIC for guests: larger than any monotonic
// reading a guest can have captured while being pre-initialised by Wizer
// (whose WASI clock starts at zero), so time never runs backwards.
#define FAAS_MONOTONIC_OFFSET 3600000000000ULL

enum { REASON_NONE = 0, REASON_DEADLINE = 1, REASON_CANCEL = 2, REASON_OVERFLOW = 3, REASON_LOG_OVERFLOW = 4 };

// faas_call is the state of one instance slot, read by the epoch callback.
// stdout and stderr are memfds: wasmtime writes files synchronously on the
// calling thread, whereas its custom-stream API hands every write to a tokio
// worker thread (a context switch per write).
typedef struct {
	int64_t deadline_ns; // CLOCK_MONOTONIC; 0 = none
	int stop;            // a REASON_*, set atomically by Go or by the callback
	int out_fd, err_fd;
	int64_t out_limit, err_limit;
} faas_call;

static int64_t faas_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static wasmtime_error_t *faas_epoch(wasmtime_context_t *cx, void *p, uint64_t *delta, uint8_t *kind) {
	faas_call *c = p;
	int stop = __atomic_load_n(&c->stop, __ATOMIC_SEQ_CST);
	if (stop == REASON_NONE) {
		struct stat st;
		int reason = REASON_NONE;
		if (c->deadline_ns != 0 && faas_now() >= c->deadline_ns) reason = REASON_DEADLINE;
		else if (fstat(c->out_fd, &st) == 0 && st.st_size > c->out_limit) reason = REASON_OVERFLOW;
		else if (fstat(c->err_fd, &st) == 0 && st.st_size > c->err_limit) reason = REASON_LOG_OVERFLOW;
		if (reason != REASON_NONE) {
			int expected = REASON_NONE;
			__atomic_compare_exchange_n(&c->stop, &expected, reason, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
		stop = __atomic_load_n(&c->stop, __ATOMIC_SEQ_CST);
	}
	if (stop != REASON_NONE) return wasmtime_error_new("faas-wasm: guest interrupted");
	*delta = 1;
	*kind = 0;
	return NULL;
}

static wasm_trap_t *faas_clock_time_get(void *env, wasmtime_caller_t *caller, val_raw_t *args, size_t n) {
	int32_t id = args[0].i32;
	uint32_t ptr = (uint32_t)args[2].i32;
	struct timespec ts;
	uint64_t v;
	switch (id) {
	case 0: clock_gettime(CLOCK_REALTIME, &ts); v = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec; break;
	case 1: v = (uint64_t)faas_now() + FAAS_MONOTONIC_OFFSET; break;
	case 2: clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); v = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec; break;
	case 3: clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); v = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec; break;
	default: args[0].i32 = 28; return NULL; // EINVAL
	}
	extern_t item;
	if (!wasmtime_caller_export_get(caller, "memory", 6, &item) || item.kind != 3) {
		args[0].i32 = 21; // EFAULT
		return NULL;
	}
	wasmtime_context_t *cx = wasmtime_caller_context(caller);
	uint8_t *base = wasmtime_memory_data(cx, &item.of.memory);
	size_t size = wasmtime_memory_data_size(cx, &item.of.memory);
	if ((uint64_t)ptr + 8 > size) {
		args[0].i32 = 21;
		return NULL;
	}
	memcpy(base + ptr, &v, 8);
	args[0].i32 = 0;
	return NULL;
}

// faas_define_clock shadows clock_time_get in the linker. Returns an error
// message (to free) or NULL.
static char *faas_define_clock(wasmtime_linker_t *l) {
	wasm_valtype_t *ps[3] = { wasm_valtype_new(0), wasm_valtype_new(1), wasm_valtype_new(0) };
	wasm_valtype_t *rs[1] = { wasm_valtype_new(0) };
	valtype_vec_t params, results;
	wasm_valtype_vec_new(&params, 3, ps);
	wasm_valtype_vec_new(&results, 1, rs);
	wasm_functype_t *ty = wasm_functype_new(&params, &results);
	wasmtime_error_t *err = wasmtime_linker_define_func_unchecked(l,
		"wasi_snapshot_preview1", 22, "clock_time_get", 14, ty, faas_clock_time_get, NULL, NULL);
	wasm_functype_delete(ty);
	if (err == NULL) return NULL;
	byte_vec_t msg;
	wasmtime_error_message(err, &msg);
	char *s = malloc(msg.size + 1);
	memcpy(s, msg.data, msg.size);
	s[msg.size] = 0;
	wasm_byte_vec_delete(&msg);
	wasmtime_error_delete(err);
	return s;
}

static void faas_pooling(wasm_config_t *cfg, uint32_t slots, size_t max_memory, size_t keep_resident) {
	pool_config_t *p = wasmtime_pooling_allocation_config_new();
	wasmtime_pooling_allocation_config_total_memories_set(p, slots);
	wasmtime_pooling_allocation_config_total_tables_set(p, slots);
	wasmtime_pooling_allocation_config_total_core_instances_set(p, slots);
	wasmtime_pooling_allocation_config_total_component_instances_set(p, 0);
	wasmtime_pooling_allocation_config_total_gc_heaps_set(p, 0);
	wasmtime_pooling_allocation_config_max_memory_size_set(p, max_memory);
	wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(p, keep_resident);
	wasmtime_pooling_allocation_config_table_keep_resident_set(p, 65536);
	wasmtime_pooling_allocation_strategy_set(cfg, p);
	wasmtime_pooling_allocation_config_delete(p);
}

static faas_call *faas_call_new(int out_fd, int err_fd, int64_t err_limit) {
	faas_call *c = calloc(1, sizeof(faas_call));
	c->out_fd = out_fd;
	c->err_fd = err_fd;
	c->err_limit = err_limit;
	return c;
}

static void faas_call_arm(faas_call *c, int64_t deadline_ns, int64_t out_limit) {
	c->deadline_ns = deadline_ns;
	c->out_limit = out_limit;
	__atomic_store_n(&c->stop, REASON_NONE, __ATOMIC_SEQ_CST);
}

static void faas_call_stop(faas_call *c, int reason) {
	int expected = REASON_NONE;
	__atomic_compare_exchange_n(&c->stop, &expected, reason, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static int faas_call_reason(faas_call *c) { return __atomic_load_n(&c->stop, __ATOMIC_SEQ_CST); }

// faas_wasi_io gives w a copy of in as stdin and the memfds (by their
// /proc/self/fd paths) as stdout and stderr. Returns false if a path cannot
// be opened.
static bool faas_wasi_io(wasi_config_t *w, const void *in, size_t in_len, const char *out_path, const char *err_path) {
	byte_vec_t v;
	wasm_byte_vec_new_uninitialized(&v, in_len);
	if (in_len > 0) memcpy(v.data, in, in_len);
	wasi_config_set_stdin_bytes(w, &v);
	return wasi_config_set_stdout_file(w, out_path) && wasi_config_set_stderr_file(w, err_path);
}

static void faas_store_epoch(wasmtime_store_t *s, faas_call *c) {
	wasmtime_store_epoch_deadline_callback(s, faas_epoch, c, NULL);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sys/unix"
)

// Stop reasons recorded in a callState (mirrors REASON_* above).
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

// cPtr returns the C pointer wasmtime-go keeps as the first field of its
// wrapper objects (*Config, *WasiConfig, *Store, *Linker).
func cPtr[T any](obj *T) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(obj))
}

// enablePooling switches cfg to the pooling instance allocator with room for
// slots concurrent instances of up to maxMemory bytes of linear memory each.
func enablePooling(cfg *wasmtime.Config, slots uint32, maxMemory, keepResident uint64) {
	C.faas_pooling((*C.wasm_config_t)(cPtr(cfg)), C.uint32_t(slots), C.size_t(maxMemory), C.size_t(keepResident))
}

// defineClock shadows wasi_snapshot_preview1.clock_time_get in l with the C
// implementation above. The linker must allow shadowing.
func defineClock(l *wasmtime.Linker) error {
	msg := C.faas_define_clock((*C.wasmtime_linker_t)(cPtr(l)))
	if msg == nil {
		return nil
	}
	defer C.free(unsafe.Pointer(msg))
	return errors.New(C.GoString(msg))
}

// callState is the state of one instance slot: the C struct read by the
// epoch callback and the memfds that receive the guest's stdout and stderr.
// It is reused call after call.
type callState struct {
	c        *C.faas_call
	out, err *os.File
	outPath  *C.char
	errPath  *C.char
	errDirty bool // stderr may hold bytes from the last call
}

func newCallState() (*callState, error) {
	out, err := memfd("faas-stdout")
	if err != nil {
		return nil, err
	}
	errf, err := memfd("faas-stderr")
	if err != nil {
		out.Close()
		return nil, err
	}
	return &callState{
		c:       C.faas_call_new(C.int(out.Fd()), C.int(errf.Fd()), C.int64_t(stderrLimit)),
		out:     out,
		err:     errf,
		outPath: C.CString(fmt.Sprintf("/proc/self/fd/%d", out.Fd())),
		errPath: C.CString(fmt.Sprintf("/proc/self/fd/%d", errf.Fd())),
	}, nil
}

func memfd(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	return os.NewFile(uintptr(fd), name), nil
}

// free releases the C memory and the memfds; no store may reference them.
func (s *callState) free() {
	C.free(unsafe.Pointer(s.c))
	C.free(unsafe.Pointer(s.outPath))
	C.free(unsafe.Pointer(s.errPath))
	s.out.Close()
	s.err.Close()
}

// arm resets the state for a new call with a wall-clock deadline and a
// response cap.
func (s *callState) arm(deadline time.Time, maxResponse int64) error {
	if err := s.out.Truncate(0); err != nil {
		return err
	}
	if s.errDirty {
		if err := s.err.Truncate(0); err != nil {
			return err
		}
	}
	s.errDirty = true
	ns := time.Until(deadline).Nanoseconds() + int64(C.faas_now())
	C.faas_call_arm(s.c, C.int64_t(ns), C.int64_t(maxResponse))
	return nil
}

// stop asks the running guest to stop at the next epoch tick. The first
// reason recorded wins.
func (s *callState) stop(reason int) { C.faas_call_stop(s.c, C.int(reason)) }

// reason reports why the guest was stopped (stopNone if it was not).
func (s *callState) reason() int { return int(C.faas_call_reason(s.c)) }

// stdout returns what the guest wrote to stdout, or false if it wrote more
// than limit bytes.
func (s *callState) stdout(limit int64) ([]byte, bool, error) {
	fi, err := s.out.Stat()
	if err != nil {
		return nil, false, err
	}
	if fi.Size() > limit {
		return nil, false, nil
	}
	b := make([]byte, fi.Size())
	if _, err := s.out.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		return nil, false, err
	}
	return b, true, nil
}

// stderr returns what the guest wrote to stderr, or its last stderrKeep
// bytes.
func (s *callState) stderr() []byte {
	fi, err := s.err.Stat()
	if err != nil {
		return nil
	}
	if fi.Size() == 0 {
		s.errDirty = false
		return nil
	}
	off, n := int64(0), fi.Size()
	if n > stderrKeep {
		off, n = n-stderrKeep, stderrKeep
	}
	b := make([]byte, n)
	m, _ := s.err.ReadAt(b, off)
	return b[:m]
}

// attachStore installs the epoch-deadline callback of store, bound to s.
func (s *callState) attachStore(store *wasmtime.Store) {
	C.faas_store_epoch((*C.wasmtime_store_t)(cPtr(store)), s.c)
}

// attachWASI gives w in-memory stdin (a copy of in) and the slot's memfds as
// stdout and stderr.
func (s *callState) attachWASI(w *wasmtime.WasiConfig, in []byte) error {
	var p unsafe.Pointer
	if len(in) > 0 {
		p = unsafe.Pointer(&in[0])
	}
	if !C.faas_wasi_io((*C.wasi_config_t)(cPtr(w)), p, C.size_t(len(in)), s.outPath, s.errPath) {
		return errors.New("cannot open the stdout/stderr memfds")
	}
	return nil
}
