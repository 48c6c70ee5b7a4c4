#!/usr/bin/env bash
# The Kubernetes end-to-end run used by `make e2e` and CI: installs the Wasm shim into the
# project's test cluster (hack/shim/cluster.sh starts the cluster), runs the Kubernetes tests
# (test/e2e: container and Wasm functions through the provider's HTTP API) and always stops the
# cluster and removes what it made, also on failure. A cluster someone else is running is used
# and left running. Needs root; the Kubernetes binaries are built once and cached
# (hack/cluster/build.sh, ~20 min the first time).
set -euo pipefail
cd "$(dirname "$0")/.."
state=${FAAS_WASM_CLUSTER_STATE:-/var/lib/faas-wasm-cluster}
kubectl=${FAAS_WASM_CACHE:-/var/cache/faas-wasm}/k8s-v1.34.4/bin/kubectl

if [[ -s $state/admin.kubeconfig ]] && "$kubectl" --kubeconfig "$state/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1; then
	echo "e2e: using the cluster that is already running"
else
	trap './hack/cluster/down.sh' EXIT
fi
./hack/shim/cluster.sh
FAAS_WASM_E2E_WASM=1 ./test/e2e/run.sh
