#!/usr/bin/env bash
# Builds faas-wasm's own images without Docker and pushes them (or writes tarballs):
#   hack/image/build.sh REGISTRY/PREFIX TAG       e.g. 127.0.0.1:5000/faas-wasm dev
#   -> REGISTRY/PREFIX/faas-wasm:TAG and REGISTRY/PREFIX/node-installer:TAG
# OUT=DIR keeps the binaries and writes provider.tar / node-installer.tar there too.
# The provider and the runner are cgo (wasmtime): linked statically (-extldflags -static,
# netgo/osusergo so glibc's NSS is never needed) and checked to run before packaging.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOG_PREFIX=image/build
(($# == 2)) || { echo "usage: build.sh REGISTRY/PREFIX TAG" >&2; exit 2; }
prefix=$1 tag=$2
repo=$REPO_ROOT
out=${OUT:-}
keep=true
if [[ -z $out ]]; then out=$(mktemp -d); keep=false; fi
$keep || trap 'rm -rf "$out"' EXIT
mkdir -p "$out/shim"

version=$(git -C "$repo" describe --tags --always --dirty 2>/dev/null || echo dev)
commit=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo unknown)
# shellcheck disable=SC2054 # the commas are Go build tags
static=(-trimpath -tags netgo,osusergo -ldflags "-s -w -X main.version=$version -X main.commit=$commit -linkmode external -extldflags -static")
cd "$repo"
log "building the provider, the shim, the runner and the node installer"
go build "${static[@]}" -o "$out/faas-wasm" ./cmd/faas-wasm
go build -trimpath -tags netgo,osusergo -ldflags "-s -w -linkmode external -extldflags -static" -o "$out/shim/faaswasm-runner" ./cmd/faaswasm-runner
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/shim/containerd-shim-faaswasm-v1" ./cmd/containerd-shim-faaswasm-v1
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/nodeinstaller" ./hack/image/nodeinstaller
go build -o "$out/image" ./hack/image

for b in "$out/faas-wasm" "$out/shim/faaswasm-runner"; do
	if ldd "$b" >/dev/null 2>&1; then die "$b is not static"; fi
done
"$out/faas-wasm" version >/dev/null
log "binaries: $(du -b "$out/faas-wasm" "$out/shim/faaswasm-runner" "$out/shim/containerd-shim-faaswasm-v1" "$out/nodeinstaller" | awk '{printf "%s=%d ", $2, $1}')"

tars=()
if $keep; then tars=(-tar "$out/provider.tar"); fi
"$out/image" -kind provider -bin "$out/faas-wasm" -ref "$prefix/faas-wasm:$tag" "${tars[@]}"
if $keep; then tars=(-tar "$out/node-installer.tar"); fi
"$out/image" -kind node-installer -bin "$out/nodeinstaller" -shim-dir "$out/shim" -ref "$prefix/node-installer:$tag" "${tars[@]}"
