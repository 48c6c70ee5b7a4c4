#!/usr/bin/env bash
# Lets the running test cluster's containerd pull from loopback registries over plain HTTP:
#   hack/cluster/add-registry.sh 127.0.0.1:5001 [localhost:5002 ...]
# Takes effect on the next pull (no restart); down.sh removes it with the state dir.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
(($#)) || die "usage: add-registry.sh HOST:PORT..."
[[ -d $STATE_DIR/containerd ]] || die "no cluster state in $STATE_DIR: run up.sh first"
for reg in "$@"; do
	allow_http_registry "$reg"
	log "containerd pulls from http://$reg"
done
