#!/usr/bin/env bash
# Builds nats-server from source through the Go module proxy — the command
# github.com/nats-io/nats-server/v2 at $NATS_VERSION (hack/lib.sh: the version the repository's
# go.mod requires, the one local mode embeds) — into the cache $NATS_BIN outside the repository,
# and prints that path. A no-op when the binary is there. test/chart/cluster.sh packs it as a
# FROM-scratch image (hack/image -kind binary) for the chart's NATS on the offline test cluster.
#
# CGO_ENABLED=0 (a static binary), -trimpath, `go install MODULE@VERSION`, i.e. with nats-server's
# own go.mod. The cache directory is keyed by the version.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOG_PREFIX=nats
if [[ -x $NATS_BIN ]]; then
	echo "$NATS_BIN"
	exit 0
fi
dir=$(dirname "$NATS_BIN")
mkdir -p "$dir"
tmp=$(mktemp -d "$dir.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "building github.com/nats-io/nats-server/v2@$NATS_VERSION (cached in $dir)"
t0=$(date +%s)
(cd "$tmp" && GOFLAGS= GOBIN=$tmp CGO_ENABLED=0 nice -n 10 \
	go install -trimpath -ldflags "-s -w" "github.com/nats-io/nats-server/v2@$NATS_VERSION") ||
	die "go install github.com/nats-io/nats-server/v2@$NATS_VERSION"
[[ $("$tmp/nats-server" --version) == "nats-server: ${NATS_VERSION}" ]] ||
	die "the built nats-server reports '$("$tmp/nats-server" --version)', want ${NATS_VERSION}"
mv "$tmp/nats-server" "$NATS_BIN"
log "built in $(($(date +%s) - t0)) s"
echo "$NATS_BIN"
