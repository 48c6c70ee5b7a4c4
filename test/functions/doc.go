// Package functions tests the study's functions (functions/, a Go module of
// its own) and the fn SDK's Wasm shapes from the provider's side: every
// function built both ways by the builder, the native binary run as a real
// process and the module through runtime/wasm, both answering the study's
// inputs identically; and the SDK's test guest in every shape and mode.
//
// The package has no code outside its tests.
package functions
