// Package oci moves function images between faas-wasm and OCI registries.
//
// It tells Wasm images from container images without downloading layers
// (Inspect), downloads the module of a Wasm image (PullWasm), builds
// reproducible Wasm and FROM-scratch container images without Docker
// (WasmImage, ContainerImage) and pushes them (Push, PushIndex). The
// development registry is package registry.
//
// Two Wasm image forms are read and built: an OCI image whose single layer
// holds /function.wasm with entrypoint /function.wasm and platform
// wasip1/wasm, and the CNCF Wasm artifact (config media type
// application/vnd.wasm.config.v0+json, one layer application/wasm).
//
// Registries on loopback (127.0.0.0/8, ::1, localhost) are reached over plain
// HTTP. Note that go-containerregistry, which this package uses, also falls
// back to plain HTTP for RFC 1918 addresses and *.localhost names; every other
// registry is reached over HTTPS unless WithInsecureRegistries lists it.
//
// Errors carry the provider error classes (provider.ErrImage,
// provider.ErrInvalid) and this package's own sentinels (ErrNotFound,
// ErrUnreachable, ErrNotWasm, ErrInvalidReference); test them with errors.Is.
//
// The package does not run images, unpack container root filesystems, or
// pull container layers; the backends do that.
package oci
