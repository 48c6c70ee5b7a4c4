// Package functions holds the nine functions of the study (see
// functions/README.md): each directory is a main package built with the fn
// SDK both as a native container binary and as a Wasm module, with the
// behaviour in its package function.
//
// This package itself has no code; its tests build every function both
// ways, run the native binary as a real process and the module through
// runtime/wasm, and check that both answer the study's inputs identically.
package functions
