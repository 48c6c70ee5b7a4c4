// Package local is the embedded single-host backend of faas-wasm: it
// implements provider.Backend in one process.
//
// Wasm functions run in-process through the runtime/wasm engine: a deploy
// pulls the function's OCI image, compiles the module once (the engine keeps
// an ahead-of-time cache) and loads the requested number of replicas, each a
// loaded wasm.Function with its own concurrency slots. Container functions
// are handed to a Runner given with WithContainerRunner; without one, a
// container deploy fails with provider.ErrNotImplemented.
//
// Namespaces, secrets and function specs are kept in memory and persisted
// under a state directory with atomic writes (temporary file, fsync, rename,
// directory fsync), so a restart restores every function and a crash in the
// middle of a write never corrupts state. Function log lines are kept in a
// bounded ring buffer per function, with follow by subscription.
//
// The package does not serve the provider HTTP API (see handlers/), does not
// route /function/ requests (it returns an http.Handler per function), and
// does not talk to containerd itself (see local/containers).
package local
