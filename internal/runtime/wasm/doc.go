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
//     pre-initialised at build time, see package internal/builder/snapshot,
//     so a new instance only runs faas_handle) and warm (ModeWarm: one instance per concurrency
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
// is created for the next request on that slot (a non-zero faas_handle result
// keeps it). Use warm mode only for functions whose authors accept that
// trade-off (annotation com.openfaas.wasm.mode: warm).
//
// Each warm call still gets its own stdin, stdout and stderr: the store's
// WASI context is replaced before every call (wasmtime_context_set_wasi, in
// faas_store_prepare), which also resets the guest's file-descriptor table,
// so a file opened by one request is closed for the next.
//
// # Performance
//
// Modules are compiled once and cached ahead of time as cacheDir/<sha256>.cwasm
// (with a CRC-32C in <sha256>.cwasm.sum; bounded by WithCacheLimit, least
// recently used removed first), loaded with mmap; compiling never
// happens on the request path. Instances come from wasmtime's pooling
// allocator with copy-on-write memory initialisation; the first 8 MiB of each
// pooled memory stay resident between instances (WithKeepResident), so a fresh
// instance of a snapshot does not page-fault its way through the Go heap.
// Engine.ReleaseMemory gives those pages back while no instance exists (the
// node runner calls it after an idle period).
// Finished instances are released before Invoke returns, or by a background
// goroutine with WithAsyncRelease. stdin is handed
// to wasmtime as bytes; what the guest writes to stdout and stderr is copied
// into buffers of its concurrency slot by a C fd_write (no file is opened per
// call; see capi.go). A module's imports are resolved once (an InstancePre); a call makes
// a handful of cgo calls: store set-up, WASI context, instantiation, the
// guest's entry point. These are reached through a small cgo layer (capi.go,
// capi.c) calling wasmtime's C API, because wasmtime-go does not expose them. Its declarations
// of that API (wasmtime_api.h) are compiled against wasmtime's own headers by
// the tests, and pinned to one wasmtime-go version (checkedWasmtimeGo).
//
// The guest's monotonic clock (clock_time_get, implemented in C) is the host's
// CLOCK_MONOTONIC plus one hour: continuous across snapshot and request,
// across instances and across warm calls. WASI's own clock restarts at zero
// for every WASI context, which makes times captured during pre-initialisation
// appear to lie in the future. poll_oneoff is implemented in C too, so that a
// guest asleep (time.Sleep, an idle Go scheduler) still stops at its deadline
// or when the caller cancels; WASI's would block the thread for the whole
// sleep, out of reach of epoch interruption.
//
// # Limits and capabilities
//
// Each function has a linear-memory limit (store limiter), a wall-time limit
// (epoch interruption driven by one engine-wide ticker, which runs only while
// guests run; the caller's context cancels too), a response size cap and a bound on concurrently running
// instances. wasmtime does not report a refused memory.grow, so ErrMemoryLimit
// is inferred: a guest that died with its memory within a quarter of the limit
// is taken to have died of it. The pool holds WithPoolSize instances across
// all functions, running or (WithAsyncRelease) waiting to be released — at
// most an eighth of the pool waits, beyond that instances are released
// inline; instantiating beyond it fails, and NewFunction logs a warning when
// the functions' MaxConcurrency add up to more.
//
// The only filesystem a guest can see is the read-only preopen
// /var/openfaas/secrets (fd 3) of Config.SecretsDir, and only a function with
// secrets has it: one without has no preopen, no filesystem at all (which
// also spares every call opening and closing a directory). Snapshots are
// taken with fd 3 preopened, so that a snapshotted Go guest finds its
// secrets; without the preopen it runs all the same, only opening a path
// fails (EBADF). What each guest language sees is in docs/abi.md. The only
// network is the faas_http host module, limited to Config.AllowedHosts and checked
// before any connection; redirects are returned to the guest, not followed.
//
// The package knows nothing of HTTP routing, Kubernetes or containerd; it does
// not fetch modules or manage deployments.
package wasm
