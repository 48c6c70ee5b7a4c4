// Package builder builds the functions of a faas-cli stack file into images
// without Docker: each entry's `lang:` picks the toolchain (Lang), and one
// source gives both kinds — a static Linux binary in a FROM-scratch
// container image (oci.ContainerImage: /function as entrypoint, port 8080),
// or, for an entry annotated com.openfaas.runtime: wasm, a WASI preview-1
// module in a Wasm image (oci.WasmImage, form com.openfaas.wasm.image-form:
// "oci-layer", the default, or "artifact").
//
//   - go-faaswasm (LangGo, also an empty lang): go build of a main package
//     using the fn SDK. Natively CGO_ENABLED=0, -trimpath, -ldflags "-s -w
//     -buildid="; for Wasm GOOS=wasip1 in the shape com.openfaas.wasm.shape
//     names — "command", "reactor" (-buildmode=c-shared -tags faasreactor)
//     or "snapshot" (the default: a reactor pre-initialised at build time
//     by package snapshot; WithoutSnapshots builds the command shape
//     instead, on purpose).
//   - rust-faaswasm (LangRust): /usr/bin/cargo rustc --release of a Cargo
//     package using the faas-wasm-fn crate, --target wasm32-wasi with
//     panic=abort, +simd128, a vector interleave of 4 and a shadow stack of
//     com.openfaas.wasm.stack-size (default 256 KiB, see
//     rustflags.DefaultStackSize), or the host's linux-gnu target with
//     +crt-static (flags: package rustflags). For Wasm, shape "command"
//     (the default) builds the package's binary; "reactor" builds its
//     library as a cdylib with wasi-libc's reactor start-up, which must
//     declare faas_wasm_fn::reactor!(handle) (for warm mode: a Rust
//     reactor's warm call skips instantiation).
//   - c-faaswasm (LangC): clang over a directory of .c files (or one .c
//     file), with the C SDK's faaswasm.c when a source includes faaswasm.h:
//     --target=wasm32-wasi against wasi-libc (stack: wasm-ld's 64 KiB or
//     com.openfaas.wasm.stack-size), or -static natively. Shape "reactor"
//     adds -mexec-model=reactor; a source must declare FW_REACTOR(handle).
//
// Rust and C have no snapshot shape (an instance starts in microseconds:
// nothing to pre-initialise); a module built in the reactor shape that
// exports no faas_handle is refused.
//
// Builds are reproducible: the same source and toolchain give the same bytes
// and so the same image digest, also from a checkout at another path and
// with another cache directory (Go: -trimpath; Rust: cargo runs on a copy of
// the local packages at a fixed path, RustStageRoot, remapped to /src, with
// one Cargo target directory outside the source tree, under the cache
// directory (see WithCacheDir), per rustc version, target and RUSTFLAGS; C:
// -ffile-prefix-map; Go snapshots: the pre-initialiser gives the guest
// fixed clocks and a random stream seeded by the module, see package
// snapshot). Image layers carry fixed timestamps.
//
// Builder.Build builds one entry, Builder.BuildStack a stack file's entries
// (with optional push and OCI layout output). The package does not parse
// command lines (cmd/faas-wasm-tools does), does not run Docker or BuildKit,
// and does not deploy: deploying is faas-cli's job against the provider.
package builder
