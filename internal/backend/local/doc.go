// Package local is the embedded single-host backend of faas-wasm: it
// implements provider.Backend in one process.
//
// Wasm functions run in-process through the internal/runtime/wasm engine: a deploy
// pulls the function's OCI image, compiles the module once (the engine keeps
// an ahead-of-time cache) and loads the requested number of replicas, each a
// loaded wasm.Function with its own concurrency slots. Container functions
// run through containerd when WithContainers connects it (package
// containers); without it, a container deploy fails with
// provider.ErrNotImplemented.
//
// Namespaces, secrets and function specs are kept in memory and persisted
// under a state directory with atomic writes (temporary file, fsync, rename,
// directory fsync), so a restart restores every function and a crash in the
// middle of a write never corrupts state. Function log lines are kept in a
// bounded ring buffer per function, with follow by subscription.
//
// Layout of the state directory:
//
//	namespaces/NS.json          a namespace's labels and annotations
//	functions/NS/NAME.json      a function's spec, runtime, createdAt, replicas
//	secrets/NS/NAME             a secret's value (0600)
//	mounts/NS/FN/SECRET         the secrets of one function, read-only copies
//	wasm/blobs/SHA256.wasm      Wasm modules, once per content
//	wasm/NS/NAME.wasm           a function's module (hard link to its blob)
//
// The engine's AOT cache is wherever its cache directory is (best under the
// state directory too).
//
// The package does not serve the provider HTTP API (see internal/handlers),
// does not route /function/ requests (it returns an http.Handler per
// function), and does not talk to containerd itself (see
// internal/backend/local/containers).
package local
