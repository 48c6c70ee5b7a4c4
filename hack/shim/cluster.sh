#!/usr/bin/env bash
# Installs the Wasm shim into the test cluster of hack/cluster and starts (or updates) the
# cluster, using only the hooks hack/cluster documents for extra containerd runtimes:
#   1. hack/shim/install.sh puts containerd-shim-faaswasm-v1 and faaswasm-runner in
#      /usr/local/bin (on the cluster containerd's PATH);
#   2. a drop-in $FAAS_WASM_CONTAINERD_DROPINS/faaswasm.toml registers the CRI runtime
#      "faaswasm" (io.containerd.faaswasm.v1) — appended by every later up.sh too, so the
#      runtime survives other people's restarts of the cluster. Do not also pass
#      faaswasm in FAAS_WASM_RUNTIMES (the table would be defined twice);
#   3. hack/cluster/up.sh (restarts only containerd when the cluster already runs);
#   4. labels the node faas-wasm/runtime=true and applies hack/shim/runtimeclass.yaml.
# Safe to run again. Undo: rm the drop-in and run up.sh again.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
dropins=${FAAS_WASM_CONTAINERD_DROPINS:-/etc/faas-wasm-cluster/containerd.d}
state=${FAAS_WASM_CLUSTER_STATE:-/var/lib/faas-wasm-cluster}
kubectl=${FAAS_WASM_CACHE:-/var/cache/faas-wasm}/k8s-v1.34.4/bin/kubectl
log() { echo "shim/cluster: $*"; }

"$here/install.sh" --bin-dir /usr/local/bin

mkdir -p "$dropins"
dropin=$dropins/faaswasm.toml
want=$(cat <<'TOML'
# Written by faas-wasm hack/shim/cluster.sh: the Wasm shim's CRI runtime.
[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.faaswasm]
  runtime_type = "io.containerd.faaswasm.v1"
  pod_annotations = ["com.openfaas.wasm.*"]
  container_annotations = ["com.openfaas.wasm.*"]
TOML
)
if [[ "$(cat "$dropin" 2>/dev/null)" != "$want" ]]; then
	printf '%s\n' "$want" >"$dropin"
	log "wrote $dropin"
fi

"$repo/hack/cluster/up.sh"

export KUBECONFIG=$state/admin.kubeconfig
for node in $("$kubectl" get nodes -o name); do
	"$kubectl" label --overwrite "$node" faas-wasm/runtime=true >/dev/null
	log "labelled $node faas-wasm/runtime=true"
done
"$kubectl" apply -f "$here/runtimeclass.yaml"
