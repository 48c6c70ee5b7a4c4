#!/usr/bin/env bash
# Runs `faas-wasm bench` against the provider in kubernetes mode on the project's single-node
# test cluster and writes docs/benchmarks/kubernetes.md (+ .json and SVG plots), or
# kubernetes-quick.md with --quick. Used by `make bench-k8s`; extra arguments go to the bench
# command (for example --quick or --functions aes,prime-numbers).
#
# What it does, and undoes on exit (also on failure or interrupt):
#   1. installs the Wasm shim and starts the cluster (hack/shim/cluster.sh); a cluster that was
#      already running is used and left running, otherwise it is stopped at the end;
#   2. serves a loopback OCI registry (faas-wasm registry) the cluster's containerd pulls from,
#      and builds and pushes every image of stack.yml to it;
#   3. starts the provider in kubernetes mode on loopback with the admin kubeconfig and
#      --autoscale=false, so every variant is measured at one replica as in the study;
#   4. runs the benchmark with the functions' services (Hamlet text, PostgreSQL + REST) on the
#      node's address, and replicas measured through /proc below the node containerd's shims.
# Needs root (the cluster does).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/cluster/lib.sh"
# shellcheck disable=SC2034 # read by log() in hack/lib.sh
LOG_PREFIX=bench-k8s
cd "$REPO_ROOT"
bin=bin/faas-wasm
ns=${FAAS_WASM_BENCH_NAMESPACE:-openfaas-fn}
work=$(mktemp -d /tmp/faas-wasm-bench-k8s-XXXXXX)

pids=()
started_cluster=
cleanup() {
	stop_pid "${pids[@]}"
	if [[ -n $started_cluster ]]; then
		./hack/cluster/down.sh
	elif [[ -s $KUBECONFIG_ADMIN ]]; then
		kubectl_admin delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

go build -trimpath -o "$bin" ./cmd/faas-wasm
go build -trimpath -o "$(dirname "$bin")/faas-wasm-tools" ./cmd/faas-wasm-tools
cluster_ready || started_cluster=1
./hack/shim/cluster.sh

registry=127.0.0.1:$(free_port)
"$bin" registry --addr "$registry" --dir "$work/registry" >"$work/registry.log" 2>&1 &
pids+=($!)
./hack/cluster/add-registry.sh "$registry"
log "building and pushing stack.yml to $registry"
"$bin" build -f stack.yml --push "$registry" --quiet

kubectl_admin create namespace "$ns" --dry-run=client -o yaml | kubectl_admin apply -f - >/dev/null
api=127.0.0.1:$(free_port)
"$bin" --mode kubernetes --kubeconfig "$KUBECONFIG_ADMIN" --addr "$api" --namespace "$ns" \
	--state-dir "$work/state" --autoscale=false --log-level warn >"$work/provider.log" 2>&1 &
pids+=($!)
provider_pid=$!
for _ in $(seq 1 300); do
	curl -sf "http://$api/healthz" >/dev/null && break
	sleep 0.1
done
curl -sf "http://$api/healthz" >/dev/null || { cat "$work/provider.log"; die "provider did not start"; }
# The credentials the provider generated on its first start (auth is on by default); bench
# reads them from the environment, so they are not on a command line.
OPENFAAS_USER=$(cat "$work/state/credentials/basic-auth-user")
OPENFAAS_PASSWORD=$(cat "$work/state/credentials/basic-auth-password")
export OPENFAAS_USER OPENFAAS_PASSWORD

"$bin" bench --gateway "http://$api" --registry "$registry" --namespace "$ns" \
	--services-host "$NODE_IP" --containerd-socket "$CONTAINERD_SOCK" --provider-pid "$provider_pid" --mode kubernetes \
	--note "Kubernetes $K8S_VERSION on one node (hack/cluster) on this machine; Wasm pods run through the faas-wasm RuntimeClass (containerd-shim-faaswasm-v1), container pods through runc." \
	--note "The provider ran with --autoscale=false: every variant is measured at one replica, like the study." \
	"$@"
