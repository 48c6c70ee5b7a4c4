#!/usr/bin/env bash
# Builds the test cluster's binaries from the Go module proxy (hack/k8s-tools, a separate Go
# module) and the local pause image, into a cache outside the repository keyed by version:
#   ${FAAS_WASM_CACHE:-/var/cache/faas-wasm}/k8s-$K8S_VERSION/{bin,images}
# (the versions are hack/k8s-tools/go.mod's, see hack/lib.sh).
# Idempotent: does nothing when every binary and image is already there.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

missing=()
for b in "${K8S_BINARIES[@]}" "${TOOL_BINARIES[@]}"; do
	[[ -x $BIN_DIR/$b ]] || missing+=("$b")
done

if ((${#missing[@]})); then
	log "building ${missing[*]} (Kubernetes $K8S_VERSION, etcd $ETCD_VERSION) into $BIN_DIR"
	mkdir -p "$BIN_DIR"
	tmp=$(mktemp -d "$CACHE_DIR/build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	pkgs=()
	for b in "${missing[@]}"; do
		if [[ " ${K8S_BINARIES[*]} " == *" $b "* ]]; then pkgs+=("k8s.io/kubernetes/cmd/$b"); else pkgs+=("./cmd/$b"); fi
	done
	vpkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
	ldflags="-s -w"
	minor=${K8S_VERSION#v1.}
	minor=${minor%%.*}
	for p in "${vpkgs[@]}"; do
		ldflags+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
		ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
	done
	start=$SECONDS
	# One invocation for all of them: the packages share most of their dependency graph.
	(cd "$TOOLS_DIR" && CGO_ENABLED=0 nice -n 19 go build -trimpath -ldflags "$ldflags" -o "$tmp/" "${pkgs[@]}")
	for b in "${missing[@]}"; do mv -f "$tmp/$b" "$BIN_DIR/$b"; done
	log "built in $((SECONDS - start)) s"
else
	log "binaries already in $BIN_DIR"
fi

mkdir -p "$IMAGE_DIR"
if [[ ! -s $IMAGE_DIR/pause.tar ]]; then
	"$BIN_DIR/imgtool" tar -bin "$BIN_DIR/pause" -ref "$PAUSE_IMAGE" -out "$IMAGE_DIR/pause.tar.tmp"
	mv -f "$IMAGE_DIR/pause.tar.tmp" "$IMAGE_DIR/pause.tar"
	log "pause image $PAUSE_IMAGE -> $IMAGE_DIR/pause.tar"
fi
log "ready: $BIN_DIR"
