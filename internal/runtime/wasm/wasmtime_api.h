// The part of wasmtime's C API (v39, the libwasmtime that wasmtime-go links)
// that capi.c calls, declared under wasmtime's own names and types.
//
// Why not #include <wasmtime.h>: its headers ship inside the wasmtime-go
// module (build/include), and cgo can only add include paths relative to this
// package's own directory (${SRCDIR}); a dependency's directory in the module
// cache has no name a #cgo directive can spell (golang/go#20606 declined
// expanding $GOPATH there; golang/go#74795 proposes a way, still open), and
// copying the headers into the repository would freeze them just the same.
//
// So the declarations are written here, but they are not trusted:
// TestCAPIMatchesWasmtimeHeaders compiles capi.c with wasmtime's real headers
// included first (testdata/wasmtime_check.c). Every prototype and typedef
// below then redeclares wasmtime's own, which the compiler rejects unless it
// is identical, capi.c's code is type-checked against wasmtime's definitions,
// and the structs and constants of wasmtime_layouts.h are compared with
// wasmtime's field by field. TestWasmtimeGoVersionChecked makes a wasmtime-go
// upgrade fail until that check has been run against the new headers.
#ifndef FAAS_WASMTIME_API_H
#define FAAS_WASMTIME_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// Opaque types (wasm.h, wasi.h, wasmtime/*.h).
typedef struct wasm_config_t wasm_config_t;
typedef struct wasi_config_t wasi_config_t;
typedef struct wasm_trap_t wasm_trap_t;
typedef struct wasm_valtype_t wasm_valtype_t;
typedef struct wasm_functype_t wasm_functype_t;
typedef struct wasmtime_store wasmtime_store_t;
typedef struct wasmtime_context wasmtime_context_t;
typedef struct wasmtime_linker wasmtime_linker_t;
typedef struct wasmtime_caller wasmtime_caller_t;
typedef struct wasmtime_error wasmtime_error_t;
typedef struct wasmtime_pooling_allocation_config_t wasmtime_pooling_allocation_config_t;
typedef struct wasmtime_module wasmtime_module_t;
typedef struct wasmtime_instance_pre wasmtime_instance_pre_t;

// Scalar types.
typedef char byte_t;
typedef byte_t wasm_byte_t;
typedef uint8_t wasm_valkind_t;
typedef uint8_t wasmtime_extern_kind_t;
typedef uint8_t wasmtime_update_deadline_kind_t;
typedef uint8_t wasmtime_v128[16];
typedef size_t wasi_dir_perms;
typedef size_t wasi_file_perms;

#define WASMTIME_EXTERN_FUNC 0
#define WASMTIME_EXTERN_MEMORY 3
#define WASMTIME_UPDATE_DEADLINE_CONTINUE 0

// Types whose layout capi.c depends on: wasm_byte_vec_t, wasm_valtype_vec_t,
// wasmtime_val_raw_t, wasmtime_memory_t, wasmtime_extern_t, and the
// wasm_valkind_t constants. When wasmtime's own headers are included
// (FAAS_WASMTIME_HEADERS, only in the check) theirs are used instead, and the
// check compares the two.
#ifndef FAAS_WASMTIME_HEADERS
#include "wasmtime_layouts.h"
#endif

typedef wasm_trap_t *(*wasmtime_func_unchecked_callback_t)(void *env, wasmtime_caller_t *caller,
	wasmtime_val_raw_t *args_and_results, size_t num_args_and_results);

// wasm.h
void wasm_byte_vec_new_uninitialized(wasm_byte_vec_t *out, size_t);
void wasm_byte_vec_delete(wasm_byte_vec_t *);
wasm_valtype_t *wasm_valtype_new(wasm_valkind_t);
void wasm_valtype_vec_new(wasm_valtype_vec_t *out, size_t, wasm_valtype_t *const[]);
wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results);
void wasm_functype_delete(wasm_functype_t *);
void wasm_trap_delete(wasm_trap_t *);
void wasm_trap_message(const wasm_trap_t *, wasm_message_t *out);

// wasi.h
wasi_config_t *wasi_config_new(void);
void wasi_config_delete(wasi_config_t *);
bool wasi_config_set_argv(wasi_config_t *config, size_t argc, const char *argv[]);
bool wasi_config_set_env(wasi_config_t *config, size_t envc, const char *names[], const char *values[]);
bool wasi_config_preopen_dir(wasi_config_t *config, const char *host_path, const char *guest_path,
	wasi_dir_perms dir_perms, wasi_file_perms file_perms);
void wasi_config_set_stdin_bytes(wasi_config_t *config, wasm_byte_vec_t *binary);

// wasmtime/config.h (WASMTIME_FEATURE_POOLING_ALLOCATOR)
wasmtime_pooling_allocation_config_t *wasmtime_pooling_allocation_config_new(void);
void wasmtime_pooling_allocation_config_delete(wasmtime_pooling_allocation_config_t *);
void wasmtime_pooling_allocation_config_total_memories_set(wasmtime_pooling_allocation_config_t *, uint32_t);
void wasmtime_pooling_allocation_config_total_tables_set(wasmtime_pooling_allocation_config_t *, uint32_t);
void wasmtime_pooling_allocation_config_total_core_instances_set(wasmtime_pooling_allocation_config_t *, uint32_t);
void wasmtime_pooling_allocation_config_total_component_instances_set(wasmtime_pooling_allocation_config_t *, uint32_t);
void wasmtime_pooling_allocation_config_total_gc_heaps_set(wasmtime_pooling_allocation_config_t *, uint32_t);
void wasmtime_pooling_allocation_config_max_memory_size_set(wasmtime_pooling_allocation_config_t *, size_t);
void wasmtime_pooling_allocation_config_linear_memory_keep_resident_set(wasmtime_pooling_allocation_config_t *, size_t);
void wasmtime_pooling_allocation_config_table_keep_resident_set(wasmtime_pooling_allocation_config_t *, size_t);
void wasmtime_pooling_allocation_strategy_set(wasm_config_t *, const wasmtime_pooling_allocation_config_t *);

// wasmtime/error.h, wasmtime/trap.h
wasmtime_error_t *wasmtime_error_new(const char *);
void wasmtime_error_delete(wasmtime_error_t *error);
void wasmtime_error_message(const wasmtime_error_t *error, wasm_name_t *message);
bool wasmtime_error_exit_status(const wasmtime_error_t *, int *status);
wasm_trap_t *wasmtime_trap_new(const char *msg, size_t msg_len);

// wasmtime/store.h
wasmtime_context_t *wasmtime_store_context(wasmtime_store_t *store);
void wasmtime_store_limiter(wasmtime_store_t *store, int64_t memory_size, int64_t table_elements,
	int64_t instances, int64_t tables, int64_t memories);
wasmtime_error_t *wasmtime_context_set_wasi(wasmtime_context_t *context, wasi_config_t *wasi);
void wasmtime_context_set_epoch_deadline(wasmtime_context_t *context, uint64_t ticks_beyond_current);
void wasmtime_store_epoch_deadline_callback(wasmtime_store_t *store,
	wasmtime_error_t *(*func)(wasmtime_context_t *context, void *data, uint64_t *epoch_deadline_delta,
		wasmtime_update_deadline_kind_t *update_kind),
	void *data, void (*finalizer)(void *));

// wasmtime/linker.h, wasmtime/instance.h, wasmtime/func.h, wasmtime/memory.h
wasmtime_error_t *wasmtime_linker_define_func_unchecked(wasmtime_linker_t *linker, const char *module,
	size_t module_len, const char *name, size_t name_len, const wasm_functype_t *ty,
	wasmtime_func_unchecked_callback_t cb, void *data, void (*finalizer)(void *));
wasmtime_error_t *wasmtime_linker_instantiate_pre(const wasmtime_linker_t *linker, const wasmtime_module_t *module,
	wasmtime_instance_pre_t **instance_pre);
void wasmtime_instance_pre_delete(wasmtime_instance_pre_t *instance_pre);
wasmtime_error_t *wasmtime_instance_pre_instantiate(const wasmtime_instance_pre_t *instance_pre,
	wasmtime_context_t *store, wasmtime_instance_t *instance, wasm_trap_t **trap_ptr);
bool wasmtime_instance_export_get(wasmtime_context_t *store, const wasmtime_instance_t *instance, const char *name,
	size_t name_len, wasmtime_extern_t *item);
wasmtime_error_t *wasmtime_func_call_unchecked(wasmtime_context_t *store, const wasmtime_func_t *func,
	wasmtime_val_raw_t *args_and_results, size_t args_and_results_len, wasm_trap_t **trap);
bool wasmtime_caller_export_get(wasmtime_caller_t *caller, const char *name, size_t name_len,
	wasmtime_extern_t *item);
wasmtime_context_t *wasmtime_caller_context(wasmtime_caller_t *caller);
uint8_t *wasmtime_memory_data(const wasmtime_context_t *store, const wasmtime_memory_t *memory);
size_t wasmtime_memory_data_size(const wasmtime_context_t *store, const wasmtime_memory_t *memory);

#endif
