// Checks the package's cgo layer against wasmtime's own C headers (those
// shipped in the wasmtime-go module, build/include). Compiled, never linked,
// by TestCAPIMatchesWasmtimeHeaders with -I <wasmtime-go>/build/include
// -I <package dir> -Wall -Werror. See wasmtime_api.h.
#include <wasmtime.h>

// Declarations behind feature macros are absent when the feature is off; ours
// would then be checked against nothing.
#if !defined(WASMTIME_FEATURE_POOLING_ALLOCATOR) || !defined(WASMTIME_FEATURE_WASI)
#error "libwasmtime built without the pooling allocator or WASI, which capi.c uses"
#endif

// 1. capi.c against wasmtime's declarations. wasmtime_api.h (included by
// capi.h) redeclares wasmtime's prototypes, typedefs and macros: the compiler
// rejects any that differ (conflicting types, redefined typedef or macro).
// Its layout structs are skipped, so capi.c's code uses wasmtime's.
#define FAAS_WASMTIME_HEADERS 1
#include "capi.c"

// 2. The structs and constants of wasmtime_layouts.h against wasmtime's.
// Capture wasmtime's under other names, then include our copies in a block,
// where they shadow wasmtime's, and compare.
typedef wasm_byte_vec_t theirs_wasm_byte_vec_t;
typedef wasm_name_t theirs_wasm_name_t;
typedef wasm_message_t theirs_wasm_message_t;
typedef wasm_valtype_vec_t theirs_wasm_valtype_vec_t;
typedef wasmtime_val_raw_t theirs_wasmtime_val_raw_t;
typedef wasmtime_memory_t theirs_wasmtime_memory_t;
typedef wasmtime_func_t theirs_wasmtime_func_t;
typedef wasmtime_instance_t theirs_wasmtime_instance_t;
typedef wasmtime_extern_union_t theirs_wasmtime_extern_union_t;
typedef wasmtime_extern_t theirs_wasmtime_extern_t;
enum { theirs_WASM_I32 = WASM_I32, theirs_WASM_I64 = WASM_I64 };
enum {
	theirs_WASMTIME_WASI_DIR_PERMS_READ = WASMTIME_WASI_DIR_PERMS_READ,
	theirs_WASMTIME_WASI_FILE_PERMS_READ = WASMTIME_WASI_FILE_PERMS_READ
};

// Same size and alignment.
#define SAME_SHAPE(T)                                                                                    \
	_Static_assert(sizeof(T) == sizeof(theirs_##T) && _Alignof(T) == _Alignof(theirs_##T),             \
		"wasmtime_layouts.h: size or alignment of " #T " differs from wasmtime's")
// Member m at the same offset with the same size.
#define SAME_PLACE(T, m)                                                                                 \
	_Static_assert(offsetof(T, m) == offsetof(theirs_##T, m) &&                                        \
			sizeof(((T *)0)->m) == sizeof(((theirs_##T *)0)->m),                                       \
		"wasmtime_layouts.h: " #T "." #m " differs from wasmtime's")
// ... and of the same type (for members whose type is not itself declared in
// wasmtime_layouts.h, which the block makes a distinct type).
#define SAME_MEMBER(T, m)                                                                                \
	SAME_PLACE(T, m);                                                                                    \
	_Static_assert(__builtin_types_compatible_p(__typeof__(((T *)0)->m), __typeof__(((theirs_##T *)0)->m)), \
		"wasmtime_layouts.h: type of " #T "." #m " differs from wasmtime's")

void faas_check_layouts(void);
void faas_check_layouts(void) {
#include "wasmtime_layouts.h"

	SAME_SHAPE(wasm_byte_vec_t);
	SAME_MEMBER(wasm_byte_vec_t, size);
	SAME_MEMBER(wasm_byte_vec_t, data);
	SAME_SHAPE(wasm_name_t);
	SAME_SHAPE(wasm_message_t);

	SAME_SHAPE(wasm_valtype_vec_t);
	SAME_MEMBER(wasm_valtype_vec_t, size);
	SAME_MEMBER(wasm_valtype_vec_t, data);

	_Static_assert((int)WASM_I32 == (int)theirs_WASM_I32 && (int)WASM_I64 == (int)theirs_WASM_I64,
		"wasmtime_layouts.h: wasm_valkind_t constants differ from wasmtime's");
	_Static_assert((int)WASMTIME_WASI_DIR_PERMS_READ == (int)theirs_WASMTIME_WASI_DIR_PERMS_READ &&
			(int)WASMTIME_WASI_FILE_PERMS_READ == (int)theirs_WASMTIME_WASI_FILE_PERMS_READ,
		"wasmtime_layouts.h: WASI permission constants differ from wasmtime's");

	SAME_SHAPE(wasmtime_val_raw_t);
	SAME_MEMBER(wasmtime_val_raw_t, i32);
	SAME_MEMBER(wasmtime_val_raw_t, i64);
	SAME_MEMBER(wasmtime_val_raw_t, v128);

	SAME_SHAPE(wasmtime_memory_t);
	SAME_MEMBER(wasmtime_memory_t, store_id);
	SAME_MEMBER(wasmtime_memory_t, __private1);
	SAME_MEMBER(wasmtime_memory_t, __private2);

	SAME_SHAPE(wasmtime_func_t);
	SAME_MEMBER(wasmtime_func_t, store_id);
	SAME_MEMBER(wasmtime_func_t, __private);

	SAME_SHAPE(wasmtime_instance_t);
	SAME_MEMBER(wasmtime_instance_t, store_id);
	SAME_MEMBER(wasmtime_instance_t, __private);

	SAME_SHAPE(wasmtime_extern_union_t);
	SAME_PLACE(wasmtime_extern_union_t, func);
	SAME_PLACE(wasmtime_extern_union_t, memory);

	SAME_SHAPE(wasmtime_extern_t);
	SAME_MEMBER(wasmtime_extern_t, kind);
	SAME_PLACE(wasmtime_extern_t, of);
	SAME_PLACE(wasmtime_extern_t, of.func);
	SAME_PLACE(wasmtime_extern_t, of.memory);
}
