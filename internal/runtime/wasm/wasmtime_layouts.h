// The structs and enum constants of wasmtime's C API (v39) whose layout or
// value capi.c depends on, under wasmtime's names; see wasmtime_api.h for why
// they are declared here. Where capi.c uses only some members (a union, a
// struct it only passes by pointer) the declaration lists only those, and the
// check (testdata/wasmtime_check.c) asserts that size, alignment and the
// offset and type of every member listed equal wasmtime's.
//
// Included by wasmtime_api.h at file scope, and by the check inside a block,
// where these declarations shadow wasmtime's own for the comparison.
#ifndef FAAS_WASMTIME_LAYOUTS_H
#define FAAS_WASMTIME_LAYOUTS_H

// wasm.h: WASM_DECLARE_VEC(byte, ) and WASM_DECLARE_VEC(valtype, *).
typedef struct wasm_byte_vec_t {
	size_t size;
	wasm_byte_t *data;
} wasm_byte_vec_t;
typedef wasm_byte_vec_t wasm_name_t;
typedef wasm_name_t wasm_message_t;

typedef struct wasm_valtype_vec_t {
	size_t size;
	wasm_valtype_t **data;
} wasm_valtype_vec_t;

// wasm.h: enum wasm_valkind_enum (only the kinds capi.c uses).
enum { WASM_I32 = 0, WASM_I64 = 1 };

// wasi.h: enum wasi_dir_perms_flags and wasi_file_perms_flags (the read
// permissions capi.c grants).
enum { WASMTIME_WASI_DIR_PERMS_READ = 1 };
enum { WASMTIME_WASI_FILE_PERMS_READ = 1 };

// wasmtime/val.h: the raw arguments and results of an unchecked host
// function. capi.c reads i32; v128 is listed because it sets the size (the
// stride of the argument array). Members f32, f64, anyref, externref and
// funcref are omitted.
typedef union wasmtime_val_raw {
	int32_t i32;
	int64_t i64;
	wasmtime_v128 v128;
} wasmtime_val_raw_t;

// wasmtime/extern.h: capi.c passes a memory only by pointer.
typedef struct wasmtime_memory {
	struct {
		uint64_t store_id;
		uint32_t __private1;
	};
	uint32_t __private2;
} wasmtime_memory_t;

// wasmtime/extern.h: capi.c passes a function only by pointer.
typedef struct wasmtime_func {
	uint64_t store_id;
	void *__private;
} wasmtime_func_t;

// wasmtime/instance.h: capi.c passes an instance by pointer; Go keeps one in
// a warm slot.
typedef struct wasmtime_instance {
	uint64_t store_id;
	size_t __private;
} wasmtime_instance_t;

// wasmtime/extern.h: union wasmtime_extern_union, members global, table and
// sharedmemory omitted.
typedef union wasmtime_extern_union {
	wasmtime_func_t func;
	wasmtime_memory_t memory;
} wasmtime_extern_union_t;

typedef struct wasmtime_extern {
	wasmtime_extern_kind_t kind;
	wasmtime_extern_union_t of;
} wasmtime_extern_t;

#endif
