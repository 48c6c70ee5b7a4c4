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

// faas_call is the state of one instance slot. stdout and stderr are memfds:
// wasmtime writes files synchronously on the calling thread, whereas its
// custom-stream API hands every write to a tokio worker thread (a context
// switch per write).
typedef struct {
	int64_t deadline_ns; // CLOCK_MONOTONIC; 0 = none
	int stop;            // a REASON_*, set atomically
	int out_fd, err_fd;
	int64_t out_limit, err_limit;
} faas_call;

int64_t faas_now(void);
char *faas_define_shadows(wasmtime_linker_t *l);
void faas_pooling(wasm_config_t *cfg, uint32_t slots, size_t max_memory, size_t keep_resident);
faas_call *faas_call_new(int out_fd, int err_fd, int64_t err_limit);
void faas_call_arm(faas_call *c, int64_t deadline_ns, int64_t out_limit);
void faas_call_stop(faas_call *c, int reason);
int faas_call_reason(faas_call *c);
void faas_enter(faas_call *c);
void faas_leave(void);
bool faas_wasi_io(wasi_config_t *w, const void *in, size_t in_len, const char *out_path, const char *err_path);
void faas_store_epoch(wasmtime_store_t *s, faas_call *c);

#endif
