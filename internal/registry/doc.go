// Package registry serves a small OCI distribution registry for development
// and tests (go-containerregistry's pkg/registry, optionally persisted to a
// directory). It is not linked into the provider: faas-wasm-tools serves it
// as `faas-wasm registry`, and the benchmark and tests start it in-process.
package registry
