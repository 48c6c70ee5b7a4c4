// C half of the package's access to wasmtime's C API (see capi.go). The
// wasmtime declarations it uses are in wasmtime_api.h, checked against
// wasmtime's own headers by TestCAPIMatchesWasmtimeHeaders.
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capi.h"

// Offset added to CLOCK_MONOTONIC for guests: larger than any monotonic
// reading a guest can have captured while being pre-initialised
// (internal/builder/snapshot's clock starts at zero and stays below an
// hour), so time never runs backwards.
#define FAAS_MONOTONIC_OFFSET 3600000000000ULL

int64_t faas_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static wasmtime_error_t *faas_epoch(wasmtime_context_t *cx, void *p, uint64_t *delta,
	wasmtime_update_deadline_kind_t *kind) {
	faas_call *c = p;
	if (__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST) == REASON_NONE && c->deadline_ns != 0 &&
	    faas_now() >= c->deadline_ns) {
		faas_call_stop(c, REASON_DEADLINE);
	}
	if (__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST) != REASON_NONE) return wasmtime_error_new("faas-wasm: guest interrupted");
	*delta = 1;
	*kind = WASMTIME_UPDATE_DEADLINE_CONTINUE;
	return NULL;
}

// guest_memory finds the caller's exported linear memory.
static bool guest_memory(wasmtime_caller_t *caller, uint8_t **base, size_t *size) {
	wasmtime_extern_t item;
	if (!wasmtime_caller_export_get(caller, "memory", 6, &item) || item.kind != WASMTIME_EXTERN_MEMORY) return false;
	wasmtime_context_t *cx = wasmtime_caller_context(caller);
	*base = wasmtime_memory_data(cx, &item.of.memory);
	*size = wasmtime_memory_data_size(cx, &item.of.memory);
	return true;
}

// faas_clock_time_get shadows WASI's clock_time_get: realtime is the host's;
// monotonic is CLOCK_MONOTONIC + FAAS_MONOTONIC_OFFSET.
static wasm_trap_t *faas_clock_time_get(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *args, size_t n) {
	int32_t id = args[0].i32;
	uint32_t ptr = (uint32_t)args[2].i32;
	struct timespec ts;
	uint64_t v;
	switch (id) {
	case 0: clock_gettime(CLOCK_REALTIME, &ts); v = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec; break;
	case 1: v = (uint64_t)faas_now() + FAAS_MONOTONIC_OFFSET; break;
	// CPU-time clocks would expose the host process's (or thread's) CPU
	// time, shared by every function: not supported.
	case 2: case 3: args[0].i32 = 58; return NULL; // ENOTSUP
	default: args[0].i32 = 28; return NULL;        // EINVAL
	}
	uint8_t *base;
	size_t size;
	if (!guest_memory(caller, &base, &size) || (uint64_t)ptr + 8 > size) {
		args[0].i32 = 21;
		return NULL;
	}
	memcpy(base + ptr, &v, 8);
	args[0].i32 = 0;
	return NULL;
}

static __thread faas_call *faas_current; // the call running on this thread

void faas_enter(faas_call *c) { faas_current = c; }
void faas_leave(void) { faas_current = NULL; }

#define SUB_SIZE 48
#define EVENT_SIZE 32
#define SLEEP_SLICE_NS 2000000LL

// clock_expiry converts a WASI clock subscription to a CLOCK_MONOTONIC time
// (ns); false for a clock it does not know.
static bool clock_expiry(const uint8_t *sub, int64_t now, int64_t *expiry) {
	uint32_t id;
	uint64_t timeout;
	uint16_t flags;
	memcpy(&id, sub + 16, 4);
	memcpy(&timeout, sub + 24, 8);
	memcpy(&flags, sub + 40, 2);
	uint64_t rel = timeout;
	if (flags & 1) { // abstime
		uint64_t base;
		if (id == 1) {
			base = (uint64_t)now + FAAS_MONOTONIC_OFFSET;
		} else if (id == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			base = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
		} else {
			return false;
		}
		rel = timeout > base ? timeout - base : 0;
	} else if (id > 3) {
		return false;
	}
	*expiry = rel > (uint64_t)(INT64_MAX - now) ? INT64_MAX : now + (int64_t)rel;
	return true;
}

// faas_poll_oneoff shadows WASI's poll_oneoff so that a guest waiting on a
// clock (Go's scheduler sleeping, time.Sleep) still honours its deadline and
// cancellation: it sleeps in slices and traps once the call must stop, where
// WASI's would block the thread for the whole timeout. Guests here have no
// sockets: stdin is in memory and every other descriptor is a regular file
// or directory, which poll reports ready at once, so fd subscriptions
// complete immediately.
static wasm_trap_t *faas_poll_oneoff(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *args, size_t n) {
	uint32_t in = (uint32_t)args[0].i32, out = (uint32_t)args[1].i32;
	uint32_t nsubs = (uint32_t)args[2].i32, nevents_ptr = (uint32_t)args[3].i32;
	uint8_t *mem;
	size_t size;
	if (!guest_memory(caller, &mem, &size)) { args[0].i32 = 21; return NULL; } // EFAULT
	if (nsubs == 0) { args[0].i32 = 28; return NULL; }                       // EINVAL
	if ((uint64_t)in + (uint64_t)nsubs * SUB_SIZE > size || (uint64_t)out + (uint64_t)nsubs * EVENT_SIZE > size ||
	    (uint64_t)nevents_ptr + 4 > size) {
		args[0].i32 = 21;
		return NULL;
	}
	int64_t start = faas_now(), now = start, wake = INT64_MAX;
	bool ready = false;
	for (uint32_t i = 0; i < nsubs; i++) {
		const uint8_t *sub = mem + in + (size_t)i * SUB_SIZE;
		int64_t expiry;
		if (sub[8] != 0 || !clock_expiry(sub, start, &expiry)) {
			ready = true;
		} else if (expiry < wake) {
			wake = expiry;
		}
	}
	faas_call *c = faas_current;
	while (!ready && (now = faas_now()) < wake) {
		if (c != NULL) {
			if (__atomic_load_n(&c->stop, __ATOMIC_SEQ_CST) != REASON_NONE) break;
			if (c->deadline_ns != 0 && now >= c->deadline_ns) {
				faas_call_stop(c, REASON_DEADLINE);
				break;
			}
		}
		int64_t slice = wake - now;
		if (slice > SLEEP_SLICE_NS) slice = SLEEP_SLICE_NS;
		if (c != NULL && c->deadline_ns != 0 && c->deadline_ns - now < slice) slice = c->deadline_ns - now;
		struct timespec ts = { .tv_sec = slice / 1000000000LL, .tv_nsec = slice % 1000000000LL };
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	}
	if (c != NULL && __atomic_load_n(&c->stop, __ATOMIC_SEQ_CST) != REASON_NONE) {
		static const char msg[] = "faas-wasm: guest interrupted while waiting";
		return wasmtime_trap_new(msg, sizeof msg - 1);
	}
	now = faas_now();
	uint32_t count = 0;
	for (uint32_t i = 0; i < nsubs; i++) {
		const uint8_t *sub = mem + in + (size_t)i * SUB_SIZE;
		uint8_t *ev = mem + out + (size_t)count * EVENT_SIZE;
		int64_t expiry = 0;
		uint16_t error = 0;
		if (sub[8] == 0) {
			if (!clock_expiry(sub, start, &expiry)) error = 28;
			else if (expiry > now) continue;
		} else if (sub[8] > 2) {
			error = 28;
		}
		memset(ev, 0, EVENT_SIZE);
		memcpy(ev, sub, 8);         // userdata
		memcpy(ev + 8, &error, 2);  // error
		ev[10] = sub[8];            // type
		if (sub[8] == 1 || sub[8] == 2) {
			uint64_t nbytes = 1;
			memcpy(ev + 16, &nbytes, 8);
		}
		count++;
	}
	memcpy(mem + nevents_ptr, &count, 4);
	args[0].i32 = 0;
	return NULL;
}

#define WASI_EBADF 8
#define WASI_ENOMEM 48

// Results of append_out and append_err.
enum { APPEND_OK, APPEND_OVER_LIMIT, APPEND_NO_MEMORY };

static wasm_trap_t *new_trap(const char *msg) { return wasmtime_trap_new(msg, strlen(msg)); }

// reserve makes room for need bytes in the buffer *b of capacity *cap,
// doubling it from 4 KiB, up to max bytes; false when out of memory.
static bool reserve(uint8_t **b, size_t *cap, size_t need, size_t max) {
	if (need <= *cap) return true;
	size_t n = *cap < 4096 ? 4096 : *cap;
	while (n < need) n *= 2;
	if (n > max) n = max;
	uint8_t *p = realloc(*b, n);
	if (p == NULL) return false;
	*b = p;
	*cap = n;
	return true;
}

// append_out adds n bytes to stdout, unless that makes it larger than
// out_limit.
static int append_out(faas_call *c, const uint8_t *p, size_t n) {
	if ((uint64_t)c->out_len + n > (uint64_t)c->out_limit) return APPEND_OVER_LIMIT;
	if (!reserve(&c->out, &c->out_cap, c->out_len + n, SIZE_MAX)) return APPEND_NO_MEMORY;
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return APPEND_OK;
}

// append_err adds n bytes to stderr, of which only the last err_keep or more
// are kept, unless stderr grows past err_limit.
static int append_err(faas_call *c, const uint8_t *p, size_t n) {
	int64_t total = c->err_total + (int64_t)n;
	if (total > c->err_limit) return APPEND_OVER_LIMIT;
	size_t keep = c->err_keep;
	if (n >= keep) {
		p += n - keep;
		n = keep;
		c->err_len = 0;
	} else if (c->err_len + n > 2 * keep) {
		size_t old = keep - n; // bytes of the old content kept
		memmove(c->err, c->err + c->err_len - old, old);
		c->err_len = old;
	}
	if (!reserve(&c->err, &c->err_cap, c->err_len + n, 2 * keep)) return APPEND_NO_MEMORY;
	memcpy(c->err + c->err_len, p, n);
	c->err_len += n;
	c->err_total = total;
	return APPEND_OK;
}

// faas_fd_write shadows WASI's fd_write. Writes to fds 1 and 2 go to the
// call's stdout and stderr buffers (faas_call), synchronously, checked
// against their limits at once: WASI's stdout and stderr would need files
// opened by path for every call. It answers as WASI's does, in the same
// order: only the first non-empty buffer is written; an iovec or buffer
// outside memory traps; any other descriptor is refused with EBADF, which is
// what WASI answers for every other descriptor a guest can hold here (stdin
// is input, the secrets preopen and what is opened under it are read-only;
// TestFdWrite). It does not follow fd_close and fd_renumber: 1 and 2 stay
// stdout and stderr whatever the guest did to them (TestStdioRenumbered).
static wasm_trap_t *faas_fd_write(void *env, wasmtime_caller_t *caller, wasmtime_val_raw_t *args, size_t n) {
	int32_t fd = args[0].i32;
	uint32_t iovs = (uint32_t)args[1].i32, iovs_len = (uint32_t)args[2].i32, nwritten = (uint32_t)args[3].i32;
	uint8_t *mem;
	size_t size;
	if (!guest_memory(caller, &mem, &size)) return new_trap("missing required memory export");
	uint32_t buf = 0, len = 0;
	for (uint32_t i = 0; i < iovs_len && len == 0; i++) {
		uint64_t at = (uint64_t)iovs + (uint64_t)i * 8;
		if (iovs % 4 != 0 || at + 8 > size) return new_trap("fd_write: iovec out of bounds or misaligned");
		memcpy(&buf, mem + at, 4);
		memcpy(&len, mem + at + 4, 4);
	}
	if (len == 0) buf = 0;
	if (fd != 1 && fd != 2) {
		args[0].i32 = WASI_EBADF;
		return NULL;
	}
	faas_call *c = faas_current;
	if (c == NULL) return new_trap("fd_write: no call is running on this thread");
	if ((uint64_t)buf + len > size) return new_trap("fd_write: buffer out of bounds");
	switch (fd == 1 ? append_out(c, mem + buf, len) : append_err(c, mem + buf, len)) {
	case APPEND_OVER_LIMIT:
		faas_call_stop(c, fd == 1 ? REASON_OVERFLOW : REASON_LOG_OVERFLOW);
		return new_trap("faas-wasm: guest interrupted");
	case APPEND_NO_MEMORY:
		args[0].i32 = WASI_ENOMEM;
		return NULL;
	}
	if (nwritten % 4 != 0 || (uint64_t)nwritten + 4 > size) return new_trap("fd_write: result out of bounds or misaligned");
	memcpy(mem + nwritten, &len, 4);
	args[0].i32 = 0;
	return NULL;
}

static char *error_string(wasmtime_error_t *err) {
	wasm_name_t msg;
	wasmtime_error_message(err, &msg);
	char *s = malloc(msg.size + 1);
	memcpy(s, msg.data, msg.size);
	s[msg.size] = 0;
	wasm_byte_vec_delete(&msg);
	wasmtime_error_delete(err);
	return s;
}

static wasmtime_error_t *define_i32_func(wasmtime_linker_t *l, const char *name, const wasm_valkind_t *kinds,
	size_t nparams, wasmtime_func_unchecked_callback_t cb) {
	wasm_valtype_t *ps[8];
	for (size_t i = 0; i < nparams; i++) ps[i] = wasm_valtype_new(kinds[i]);
	wasm_valtype_t *rs[1] = { wasm_valtype_new(WASM_I32) };
	wasm_valtype_vec_t params, results;
	wasm_valtype_vec_new(&params, nparams, ps);
	wasm_valtype_vec_new(&results, 1, rs);
	wasm_functype_t *ty = wasm_functype_new(&params, &results);
	wasmtime_error_t *err = wasmtime_linker_define_func_unchecked(l,
		"wasi_snapshot_preview1", 22, name, strlen(name), ty, cb, NULL, NULL);
	wasm_functype_delete(ty);
	return err;
}

// faas_define_shadows defines clock_time_get, poll_oneoff and fd_write in the
// linker, which must allow shadowing. Returns an error message (to free) or
// NULL.
char *faas_define_shadows(wasmtime_linker_t *l) {
	static const wasm_valkind_t clock_params[] = { WASM_I32, WASM_I64, WASM_I32 };
	static const wasm_valkind_t four_i32[] = { WASM_I32, WASM_I32, WASM_I32, WASM_I32 };
	wasmtime_error_t *err = define_i32_func(l, "clock_time_get", clock_params, 3, faas_clock_time_get);
	if (err == NULL) err = define_i32_func(l, "poll_oneoff", four_i32, 4, faas_poll_oneoff);
	if (err == NULL) err = define_i32_func(l, "fd_write", four_i32, 4, faas_fd_write);
	return err == NULL ? NULL : error_string(err);
}

void faas_pooling(wasm_config_t *cfg, uint32_t slots, size_t max_memory, size_t keep_resident) {
	wasmtime_pooling_allocation_config_t *p = wasmtime_pooling_allocation_config_new();
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

faas_call *faas_call_new(int64_t err_limit, size_t err_keep) {
	faas_call *c = calloc(1, sizeof(faas_call));
	if (c == NULL) abort();
	c->err_limit = err_limit;
	c->err_keep = err_keep;
	return c;
}

void faas_call_free(faas_call *c) {
	free(c->out);
	free(c->err);
	free(c);
}

void faas_call_arm(faas_call *c, int64_t deadline_ns, int64_t out_limit) {
	c->deadline_ns = deadline_ns;
	c->out_limit = out_limit;
	c->out_len = 0;
	c->err_len = 0;
	c->err_total = 0;
	__atomic_store_n(&c->stop, REASON_NONE, __ATOMIC_SEQ_CST);
}

void faas_call_trim(faas_call *c, size_t keep) {
	if (c->out_cap > keep) {
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_cap = 0;
	}
	if (c->err_cap > keep) {
		free(c->err);
		c->err = NULL;
		c->err_len = c->err_cap = 0;
	}
}

void faas_call_stop(faas_call *c, int reason) {
	int expected = REASON_NONE;
	__atomic_compare_exchange_n(&c->stop, &expected, reason, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

int faas_call_reason(faas_call *c) { return __atomic_load_n(&c->stop, __ATOMIC_SEQ_CST); }

void faas_store_init(wasmtime_store_t *s, faas_call *c, int64_t memory_limit) {
	wasmtime_store_limiter(s, memory_limit, -1, -1, -1, -1);
	wasmtime_store_epoch_deadline_callback(s, faas_epoch, c, NULL);
}

int faas_store_prepare(wasmtime_store_t *s, const char *env, size_t nenv, const char *argv0, const void *in,
	size_t in_len, const char *dir, const char *guest_dir, char **msg) {
	wasi_config_t *w = wasi_config_new();
	if (argv0 != NULL) wasi_config_set_argv(w, 1, &argv0);
	if (nenv > 0) {
		const char **names = malloc(2 * nenv * sizeof(char *));
		const char **values = names + nenv;
		for (size_t i = 0; i < nenv; i++) {
			names[i] = env;
			env += strlen(env) + 1;
			values[i] = env;
			env += strlen(env) + 1;
		}
		// false when a string is not UTF-8; the variables before it are set.
		wasi_config_set_env(w, nenv, names, values);
		free(names);
	}
	if (dir != NULL && !wasi_config_preopen_dir(w, dir, guest_dir, WASMTIME_WASI_DIR_PERMS_READ, WASMTIME_WASI_FILE_PERMS_READ)) {
		wasi_config_delete(w);
		return PREPARE_PREOPEN;
	}
	wasm_byte_vec_t v;
	wasm_byte_vec_new_uninitialized(&v, in_len);
	if (in_len > 0) memcpy(v.data, in, in_len);
	wasi_config_set_stdin_bytes(w, &v);
	wasmtime_context_t *cx = wasmtime_store_context(s);
	wasmtime_error_t *err = wasmtime_context_set_wasi(cx, w);
	if (err != NULL) {
		*msg = error_string(err);
		return PREPARE_WASI;
	}
	wasmtime_context_set_epoch_deadline(cx, 1);
	return PREPARE_OK;
}

char *faas_instance_pre(wasmtime_linker_t *l, wasmtime_module_t *m, wasmtime_instance_pre_t **pre) {
	wasmtime_error_t *err = wasmtime_linker_instantiate_pre(l, m, pre);
	return err == NULL ? NULL : error_string(err);
}

// memory_export finds the instance's exported linear memory; false if none.
static bool memory_export(wasmtime_context_t *cx, const wasmtime_instance_t *inst, wasmtime_memory_t *mem) {
	wasmtime_extern_t item;
	if (!wasmtime_instance_export_get(cx, inst, "memory", 6, &item) || item.kind != WASMTIME_EXTERN_MEMORY) return false;
	*mem = item.of.memory;
	return true;
}

// memory_size is the size of the instance's exported linear memory (0 if
// none).
static uint64_t memory_size(wasmtime_context_t *cx, const wasmtime_instance_t *inst) {
	wasmtime_memory_t mem;
	return memory_export(cx, inst, &mem) ? wasmtime_memory_data_size(cx, &mem) : 0;
}

// trap_string returns the trap's message (to free) and deletes the trap.
static char *trap_string(wasm_trap_t *trap) {
	wasm_message_t msg;
	wasm_trap_message(trap, &msg);
	size_t n = msg.size;
	if (n > 0 && msg.data[n - 1] == 0) n--;
	char *s = malloc(n + 1);
	memcpy(s, msg.data, n);
	s[n] = 0;
	wasm_byte_vec_delete(&msg);
	wasm_trap_delete(trap);
	return s;
}

void faas_instantiate(wasmtime_store_t *s, const wasmtime_instance_pre_t *pre, wasmtime_instance_t *inst,
	uint8_t **memory, faas_outcome *out) {
	memset(out, 0, sizeof *out);
	*memory = NULL;
	wasmtime_context_t *cx = wasmtime_store_context(s);
	wasm_trap_t *trap = NULL;
	wasmtime_error_t *err = wasmtime_instance_pre_instantiate(pre, cx, inst, &trap);
	if (err != NULL) {
		out->kind = OUTCOME_FAIL;
		out->message = error_string(err);
	} else if (trap != NULL) {
		out->kind = OUTCOME_FAIL;
		out->message = trap_string(trap);
	} else {
		wasmtime_memory_t mem;
		if (memory_export(cx, inst, &mem)) *memory = wasmtime_memory_data(cx, &mem);
	}
}

static const char *const export_names[] = { [EXPORT_START] = "_start", [EXPORT_INITIALIZE] = "_initialize",
	[EXPORT_HANDLE] = "faas_handle" };

void faas_invoke(wasmtime_store_t *s, const wasmtime_instance_t *inst, int fn, wasmtime_func_t *func,
	faas_outcome *out) {
	memset(out, 0, sizeof *out);
	wasmtime_context_t *cx = wasmtime_store_context(s);
	if (func->store_id == 0) {
		const char *name = export_names[fn];
		wasmtime_extern_t item;
		if (!wasmtime_instance_export_get(cx, inst, name, strlen(name), &item) || item.kind != WASMTIME_EXTERN_FUNC) {
			static const char msg[] = "the instance has no such function export";
			out->kind = OUTCOME_FAIL;
			out->message = malloc(sizeof msg);
			memcpy(out->message, msg, sizeof msg);
			return;
		}
		*func = item.of.func;
	}
	// The module's exports were checked: _start and _initialize take and
	// return nothing, faas_handle returns one i32.
	wasmtime_val_raw_t buf[1] = { { .i64 = 0 } };
	wasm_trap_t *trap = NULL;
	wasmtime_error_t *err = wasmtime_func_call_unchecked(cx, func, buf, fn == EXPORT_HANDLE ? 1 : 0, &trap);
	int status;
	if (trap != NULL) {
		out->kind = OUTCOME_TRAP;
		out->message = trap_string(trap);
	} else if (err != NULL && wasmtime_error_exit_status(err, &status)) {
		out->kind = OUTCOME_EXIT;
		out->code = status;
		wasmtime_error_delete(err);
	} else if (err != NULL) {
		out->kind = OUTCOME_TRAP;
		out->message = error_string(err);
	} else if (fn == EXPORT_HANDLE) {
		out->code = buf[0].i32;
	}
	if (out->kind != OUTCOME_OK || out->code != 0) out->memory = memory_size(cx, inst);
}
