// Package snapshot pre-initialises reactor Wasm modules with Wizer, so that a
// fresh instance starts with its language runtime already initialised.
//
// Wizer (pinned at WizerVersion) comes from npm: Install runs
// `npm i -E @bytecodealliance/wizer@10.0.0` once into a cache directory
// (default $XDG_CACHE_HOME/faas-wasm/wizer-10.0.0, else
// ~/.cache/faas-wasm/wizer-10.0.0) and reuses it afterwards. Wizen runs the
// module's init function (faas_init when exported — after Wizer has run
// _initialize — else _initialize) with WASI allowed but no stdio, no
// environment and no directories, and returns the snapshot: the same module
// with its memory and globals as they were after initialisation and without
// _initialize, which runtime/wasm runs as ShapeSnapshot.
//
// Snapshots freeze what the guest computed at build time: environment
// variables, math/rand seeds and map hash seeds are the same in every
// instance; monotonic clock readings taken during initialisation are kept
// meaningful by runtime/wasm's clock. Command modules (exporting _start)
// cannot be snapshotted.
//
// The package does not run modules and does not cache snapshots.
package snapshot
