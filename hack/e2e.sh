#!/usr/bin/env bash
# The Kubernetes end-to-end run used by `make e2e` and CI: installs the Wasm shim into the
# project's test cluster (hack/shim/cluster.sh starts the cluster), runs the Kubernetes tests
# (test/e2e: container and Wasm functions through the provider's HTTP API), then the chart on
# that cluster (test/chart/cluster.sh with SHARED=1: the chart's provider, Wasm and container
# functions, its Prometheus answering the gateway's query, asynchronous invocations through its
# NATS across a provider and a NATS pod deletion), and always stops the cluster and
# removes what it made, also on failure. A cluster someone else is running is used and left
# running. Needs root; the Kubernetes binaries and Prometheus are built once and cached
# (hack/cluster/build.sh, ~20 min the first time; hack/prometheus/build.sh, 32 min the first
# time on a machine at load 25, ~8 min of CPU; hack/nats/build.sh, 101 s, 29 s of CPU).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOG_PREFIX=e2e
cd "$REPO_ROOT"

# Before the cluster (a failed build holds no cluster): Prometheus and nats-server for the chart.
./hack/prometheus/build.sh >/dev/null
./hack/nats/build.sh >/dev/null
if cluster_ready; then
	log "using the cluster that is already running"
else
	trap './hack/cluster/down.sh' EXIT
fi
./hack/shim/cluster.sh
FAAS_WASM_E2E_WASM=1 ./test/e2e/run.sh
SHARED=1 ./test/chart/cluster.sh
