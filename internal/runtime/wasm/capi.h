// Declarations shared by capi.c and capi.go: the per-slot call state read by
// the epoch callback and the host functions, and the helpers Go calls.
#ifndef FAAS_CAPI_H
#define FAAS_CAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasmtime_api.h"

// Why a guest was stopped.
enum { REASON_NONE = 0, REASON_DEADLINE = 1, REASON_CANCEL = 2, REASON_OVERFLOW = 3, REASON_LOG_OVERFLOW = 4 };

// faas_call is the state of one instance slot. The guest's writes to
// stdout and stderr (fd_write on fds 1 and 2, see faas_fd_write) land in its
// buffers, on the calling thread; Go reads them after the call. stdout holds
// everything written this call (at most out_limit bytes); stderr its last
// err_keep bytes or more (err_len ≤ 2 × err_keep), err_total all of it.
typedef struct {
	int64_t deadline_ns; // CLOCK_MONOTONIC; 0 = none
	int stop;            // a REASON_*, set atomically
	uint8_t *out;
	size_t out_len, out_cap;
	int64_t out_limit;
	uint8_t *err;
	size_t err_len, err_cap, err_keep;
	int64_t err_total, err_limit;
} faas_call;

int64_t faas_now(void);
char *faas_define_shadows(wasmtime_linker_t *l);
void faas_pooling(wasm_config_t *cfg, uint32_t slots, size_t max_memory, size_t keep_resident);
faas_call *faas_call_new(int64_t err_limit, size_t err_keep);
void faas_call_free(faas_call *c);

// faas_call_arm resets c for a new call: no output yet, a deadline and a
// stdout cap.
void faas_call_arm(faas_call *c, int64_t deadline_ns, int64_t out_limit);

// faas_call_trim frees output buffers larger than keep bytes (their content
// must have been read), so an idle slot does not hold a large response.
void faas_call_trim(faas_call *c, size_t keep);
void faas_call_stop(faas_call *c, int reason);
int faas_call_reason(faas_call *c);
void faas_enter(faas_call *c);
void faas_leave(void);

// faas_store_init caps the store's linear memory at memory_limit bytes and
// installs the epoch-deadline callback, bound to c.
void faas_store_init(wasmtime_store_t *s, faas_call *c, int64_t memory_limit);

// Results of faas_store_prepare.
enum { PREPARE_OK = 0, PREPARE_PREOPEN = 1, PREPARE_WASI = 2 };

// faas_store_prepare gives the store a new WASI context for one call and an
// epoch deadline of one tick. env holds nenv variables, each a NUL-terminated
// name followed by a NUL-terminated value; argv0 (NULL: no arguments) is the
// only argument; stdin is a copy of in; stdout and stderr are left at
// WASI's default (writes to them reach faas_fd_write instead); dir (NULL: no
// preopen, no filesystem) is preopened read-only at guest_dir. On PREPARE_WASI, *msg is wasmtime's error
// message (to free).
int faas_store_prepare(wasmtime_store_t *s, const char *env, size_t nenv, const char *argv0, const void *in,
	size_t in_len, const char *dir, const char *guest_dir, char **msg);

// faas_instance_pre resolves the module's imports in the linker once, for
// every later instantiation. Returns an error message (to free) or NULL.
char *faas_instance_pre(wasmtime_linker_t *l, wasmtime_module_t *m, wasmtime_instance_pre_t **pre);

// How a call into a guest ended.
enum { OUTCOME_OK = 0, OUTCOME_EXIT = 1, OUTCOME_TRAP = 2, OUTCOME_FAIL = 3 };

typedef struct {
	int kind;        // an OUTCOME_*
	int32_t code;    // OUTCOME_OK: faas_handle's result (else 0); OUTCOME_EXIT: the proc_exit status
	char *message;   // OUTCOME_TRAP, OUTCOME_FAIL: what happened (to free)
	uint64_t memory; // unless OUTCOME_OK with code 0: bytes of linear memory when the guest stopped
} faas_outcome;

// faas_instantiate instantiates pre in the store into *inst, and sets
// *memory to the base of its exported linear memory (NULL if none):
// OUTCOME_OK, or OUTCOME_FAIL (pool exhausted, memory limit, a trapping start
// function).
void faas_instantiate(wasmtime_store_t *s, const wasmtime_instance_pre_t *pre, wasmtime_instance_t *inst,
	uint8_t **memory, faas_outcome *out);

// The exports faas_invoke calls.
enum { EXPORT_START = 0, EXPORT_INITIALIZE = 1, EXPORT_HANDLE = 2 };

// faas_invoke calls the instance's export fn (an EXPORT_*), whose type the
// module check guaranteed. *func is that export of this instance, looked up
// by name and stored there when its store_id is 0: a warm instance looks it
// up once.
void faas_invoke(wasmtime_store_t *s, const wasmtime_instance_t *inst, int fn, wasmtime_func_t *func,
	faas_outcome *out);

#endif
