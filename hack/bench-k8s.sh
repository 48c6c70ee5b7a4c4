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
#      and makes an ed25519 build key for this run (faas-wasm keygen);
#   3. starts the provider in kubernetes mode on loopback with the admin kubeconfig,
#      --autoscale=false (every variant is measured at one replica, as in the study), its own
#      empty module and AOT caches, and --trusted-build-key with the key's public half;
#   4. runs the benchmark with --build --sign-key: it builds the selected stack entries, every
#      Wasm image of a module of at least 512 KiB (the Go ones) with its module precompiled and
#      signed with the run's key (so such a function of a new digest answers its first call from
#      the provider without compiling, as a signed build pipeline would ship it; Rust and C
#      images are module-only), pushes them, and measures with the functions' services
#      (Hamlet text, PostgreSQL + REST) on the node's address, replicas through /proc below the
#      node containerd's shims and, for each variant, the memory of two idle pods (PSS, unique);
#   5. logs the provider's module loads (faaswasm_wasm_module_cache_total): "miss" counts the
#      modules it compiled, which should be only the module-only (Rust and C) ones; and the calls
#      it served itself (faaswasm_provider_served_calls_total): each Wasm variant's deploy and
#      scale-from-zero rounds, else its cold calls waited for pods.
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
"$bin" keygen --out "$work/build" >/dev/null

kubectl_admin create namespace "$ns" --dry-run=client -o yaml | kubectl_admin apply -f - >/dev/null
api=127.0.0.1:$(free_port)
"$bin" --mode kubernetes --kubeconfig "$KUBECONFIG_ADMIN" --addr "$api" --namespace "$ns" \
	--state-dir "$work/state" --autoscale=false --trusted-build-key "$work/build.pub" \
	--log-level warn >"$work/provider.log" 2>&1 &
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

"$bin" bench --gateway "http://$api" --registry "$registry" --build --sign-key "$work/build.key" --namespace "$ns" \
	--services-host "$NODE_IP" --containerd-socket "$CONTAINERD_SOCK" --provider-pid "$provider_pid" --mode kubernetes \
	--note "Kubernetes $K8S_VERSION on one node (hack/cluster) on this machine; Wasm pods run through the faas-wasm RuntimeClass (containerd-shim-faaswasm-v1), container pods through runc." \
	--note "The provider ran with --autoscale=false: every variant is measured at one replica, like the study (the memory-per-pod phase scales it to two)." \
	"$@"
metrics=$(curl -sf "http://$api/metrics" || true)
loads=$(grep '^faaswasm_wasm_module_cache_total' <<<"$metrics" || true)
log "the provider's Wasm module loads (miss = compiled, hit = AOT cache or signed precompiled layer): ${loads//$'\n'/; }"
served=$(grep '^faaswasm_provider_served_calls_total' <<<"$metrics" || true)
log "calls the provider served itself (no ready pod: first deploys, deploy and scale-from-zero rounds): ${served//$'\n'/; }"
