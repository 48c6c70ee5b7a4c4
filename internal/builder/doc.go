// Package builder implements `faas-wasm build`: it reads a faas-cli stack
// file, builds each function from its Go source both ways the stack asks
// for, and optionally pushes the images to an OCI registry, without Docker.
//
// For an entry without annotation com.openfaas.runtime: wasm it builds a
// static Linux binary (CGO_ENABLED=0, -trimpath, -ldflags "-s -w -buildid=")
// and wraps it in a FROM-scratch container image (oci.ContainerImage:
// /function as entrypoint, port 8080). For a Wasm entry it builds a
// GOOS=wasip1 module in the shape the annotation com.openfaas.wasm.shape
// names — "command" (plain go build), "reactor" (-buildmode=c-shared -tags
// faasreactor) or "snapshot" (a reactor pre-initialised by a Wizer function
// given with WithWizer) — and wraps it with oci.WasmImage in the form named
// by com.openfaas.wasm.image-form ("oci-layer", the default, or
// "artifact"). Without a Wizer a snapshot request falls back to the command
// shape and the report says so.
//
// Builds are reproducible: the same source and toolchain give the same
// bytes and so the same image digest.
//
// The package does not run Docker or BuildKit, does not build languages
// other than Go (lang is recorded, not interpreted), and does not deploy:
// deploying is faas-cli's job against the provider.
package builder
