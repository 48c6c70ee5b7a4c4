// Package snapshot pre-initialises reactor Wasm modules at build time, so
// that a fresh instance starts with its language runtime already
// initialised, and does so deterministically: the same module always gives
// the same snapshot, byte for byte.
//
// Snapshot instantiates a copy of the module that exports its memory and
// globals under reserved names, with wasmtime and WASI as runtime/wasm
// gives a function with secrets (no stdio, no environment, no arguments, an
// empty directory preopened at provider.SecretsPath; a function without
// secrets runs the snapshot with no preopen), runs the start function, then
// _initialize and faas_init (those it exports), and writes the module back: the memory
// section's minimum raised to the memory's size, one data segment per
// stretch of non-zero memory (stretches less than 64 zero bytes apart
// merged), every global's init expression set to its value, no start
// section and no _initialize or faas_init export. Imported functions other
// than WASI's trap when initialisation calls them. Types, code, tables,
// elements, other exports and custom sections are kept as they were.
// runtime/wasm runs the result as ShapeSnapshot.
//
// Determinism: WASI's random_get, clock_time_get, clock_res_get and
// poll_oneoff are replaced while the module initialises.
//   - random_get reads one stream: the SHA-256 of (seed ‖ n) for blocks
//     n = 0, 1, 2, ... (n a big-endian uint64), where seed is the SHA-256 of
//     the module. Go's map hash seeds and math/rand state come from it.
//   - The monotonic clock starts at zero and advances 1 µs per reading (the
//     resolution clock_res_get reports); realtime is 2024-01-01T00:00:00Z
//     plus the monotonic clock. poll_oneoff completes descriptors at once
//     and, when only clocks are waited on, moves time to the earliest
//     expiry instead of sleeping. runtime/wasm's monotonic clock starts at
//     one hour, so readings kept in a snapshot are earlier than every
//     reading after it; an initialisation that reaches one hour fails.
//
// Snapshots freeze what the guest computed at build time: environment
// variables, math/rand state and map hash seeds are the same in every
// instance (and, for the same module, every build).
//
// Modules it refuses with ErrUnsupported, as it could not snapshot them
// faithfully: imports other than functions (memories, globals, tables,
// tags), more than one memory, shared or 64-bit memories, globals other
// than i32, i64, f32 and f64, passive data or element segments, a data
// count section (memory.init, data.drop), and code using reference types
// (table.grow, table.set, table.fill: tables are not snapshotted; the one
// table change it cannot see is a table.copy within the module's own
// tables). Command modules (exporting _start) and modules with neither
// init function are refused with ErrNotReactor.
//
// The package does not cache snapshots; wasmtime caches the compiled
// instrumented module in ~/.cache/wasmtime.
package snapshot
