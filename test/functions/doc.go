// Package functions tests the study's functions (functions/go, a Go module of
// its own, and functions/rust, a Cargo workspace) and the fn SDK's Wasm
// shapes from the provider's side: every function built in its four variants
// by the builder (Go and Rust, native and Wasm), the native binaries run as
// real processes and the modules through runtime/wasm, all answering the
// study's inputs byte for byte alike; every entry of stack.yml built into
// its image, pushed to a loopback registry, deployed to one local-mode
// provider (containers on a private containerd) and answering 200; and the
// SDK's test guest in every shape and mode.
//
// The package has no code outside its tests.
package functions
