#!/usr/bin/env bash
# Runs the Kubernetes end-to-end tests (package test/e2e) against the project's single-node test
# cluster (hack/cluster). Starts the cluster with up.sh and, when this script started it, stops
# it with down.sh afterwards — also on failure or interrupt. A cluster that was already running
# (someone else's) is used and left running.
#
# Env: E2E_RUN (go test -run pattern, default all), FAAS_WASM_E2E_LIST (e.g. 100,1000 to also
# measure list latency), FAAS_WASM_E2E_WASM (1 runs the Wasm test; default: on when the shim is
# registered in the cluster's containerd), E2E_TIMEOUT (default 30m). Needs root (the cluster does).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
state=${FAAS_WASM_CLUSTER_STATE:-/var/lib/faas-wasm-cluster}
kubeconfig=$state/admin.kubeconfig
. hack/lib.sh # K8S_VERSION and the cluster's kubectl ($KUBECTL)
kubectl=$KUBECTL

started=
if ! [[ -s $kubeconfig ]] || ! "$kubectl" --kubeconfig "$kubeconfig" get --raw /readyz >/dev/null 2>&1; then
	started=1
	trap './hack/cluster/down.sh' EXIT
	./hack/cluster/up.sh
fi
# The Wasm test needs the shim registered in the cluster's containerd (hack/shim/cluster.sh).
if [[ -z ${FAAS_WASM_E2E_WASM:-} ]] && grep -qs 'containerd.runtimes.faaswasm\]' "$state/containerd/config.toml"; then
	export FAAS_WASM_E2E_WASM=1
fi
FAAS_WASM_KUBECONFIG=$kubeconfig go test -tags e2e -count=1 -v -timeout "${E2E_TIMEOUT:-30m}" \
	-run "${E2E_RUN:-.}" ./test/e2e/
if [[ -n $started ]]; then echo "e2e: stopping the cluster this run started"; fi
