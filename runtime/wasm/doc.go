// Package wasm is the WebAssembly engine of faas-wasm: it turns a Wasm module
// plus a request into a response, on wasmtime (wasmtime-go v39).
//
// It implements the host side of the function ABI described in docs/abi.md:
//
//   - Command modules (export _start) get a fresh instance per request with the
//     request in CGI/WAGI and classic-watchdog environment variables, the body
//     on stdin, and the response on stdout (an optional CGI header block, then
//     the body). stderr lines go to Config.Log.
//   - Reactor modules (export faas_handle) get the same variables and body in an
//     envelope on stdin. They run in one of three modes: fresh (new instance per
//     request, _initialize then faas_handle), snapshot (the module was
//     pre-initialised by Wizer, see package runtime/snapshot, so a new instance
//     only runs faas_handle) and warm (ModeWarm: one instance per concurrency
//     slot, reused across requests).
//
// # Warm mode trade-off
//
// Warm mode removes the instantiation and Go runtime start-up cost from the
// request path: a call costs about a function call. The price is isolation:
// requests served by the same slot share globals, heap, goroutines and any
// state the guest keeps, so data of one caller can be seen by the next, and a
// guest that corrupts its state corrupts later requests too. An instance that
// traps, exits, times out or hits its memory limit is discarded and a new one
// is created for the next request on that slot. Use warm mode only for
// functions whose authors accept that trade-off (annotation
// com.openfaas.wasm.mode: warm).
//
// # Performance
//
// Modules are compiled once and cached ahead of time as cacheDir/<sha256>.cwasm,
// loaded with mmap; compiling never happens on the request path. Instances come
// from wasmtime's pooling allocator with copy-on-write memory initialisation,
// and stdin/stdout live in memory; both are reached through a small cgo file
// (capi.go) calling wasmtime's C API, because wasmtime-go does not expose them.
//
// # Limits and capabilities
//
// Each function has a linear-memory limit (store limiter), a wall-time limit
// (epoch interruption driven by one engine-wide ticker), a response size cap
// and a bound on concurrently running instances. The only filesystem visible to
// a guest is the read-only preopen /var/openfaas/secrets; the only network is
// the faas_http host module, limited to Config.AllowedHosts.
//
// The package knows nothing of HTTP routing, Kubernetes or containerd; it does
// not fetch modules or manage deployments.
package wasm
