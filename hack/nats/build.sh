#!/usr/bin/env bash
# Builds nats-server from source through the Go module proxy — the command
# github.com/nats-io/nats-server/v2 at $NATS_VERSION (hack/lib.sh: the version the repository's
# go.mod requires, the one local mode embeds) — into the cache $NATS_BIN outside the repository,
# and prints that path. A no-op when the binary is there. test/chart/cluster.sh packs it as a
# FROM-scratch image (hack/image -kind binary) for the chart's NATS on the offline test cluster.
#
# A static binary (CGO_ENABLED=0), built with nats-server's own go.mod (hack/lib.sh
# go_install_cached). The cache directory is keyed by the version. First build: 101 s wall, 29 s
# CPU (2 cores, load ~10, module cache warm from the provider's build).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOG_PREFIX=nats
go_install_cached "$NATS_BIN" "github.com/nats-io/nats-server/v2@$NATS_VERSION" -ldflags "-s -w"
