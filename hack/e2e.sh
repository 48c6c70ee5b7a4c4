#!/usr/bin/env bash
# The Kubernetes end-to-end run used by `make e2e` and CI: installs the Wasm shim into the
# project's test cluster (hack/shim/cluster.sh starts the cluster), runs the Kubernetes tests
# (test/e2e: container and Wasm functions through the provider's HTTP API) and always stops the
# cluster and removes what it made, also on failure. A cluster someone else is running is used
# and left running. Needs root; the Kubernetes binaries are built once and cached
# (hack/cluster/build.sh, ~20 min the first time).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=e2e
cd "$REPO_ROOT"

if cluster_ready; then
	log "using the cluster that is already running"
else
	trap './hack/cluster/down.sh' EXIT
fi
./hack/shim/cluster.sh
FAAS_WASM_E2E_WASM=1 ./test/e2e/run.sh
