#!/usr/bin/env bash
# Installs the Wasm shim into the test cluster of hack/cluster and starts (or updates) the
# cluster, through the same node installer the Helm chart's DaemonSet runs
# (hack/image/nodeinstaller) and the hooks hack/cluster documents for extra containerd runtimes:
#   1. builds containerd-shim-faaswasm-v1, faaswasm-runner and the node installer from this
#      checkout (needs Go and a C compiler);
#   2. runs the installer on this machine (-host-root /): it copies both binaries to
#      /usr/local/bin (on the cluster containerd's PATH; containerd 1.6 ignores runtime_path),
#      creates the node's compiled-module cache and writes the drop-in
#      $FAAS_WASM_CONTAINERD_DROPINS/faaswasm.toml registering the CRI runtime "faaswasm"
#      (io.containerd.faaswasm.v1) in version 2 syntax, the syntax of the configuration
#      hack/cluster generates and appends it to — kept across anyone's later up.sh. Do not also
#      pass faaswasm in FAAS_WASM_RUNTIMES (the table would be defined twice);
#      It also makes the cluster's build key ($STATE_DIR/build-keys/build.key, .pub; openssl
#      ed25519, kept while the cluster state lives) and has the installer write its public
#      half as the node's trusted build keys, so Wasm images signed with build.key (the e2e
#      tests do) get their precompiled layer installed on the node instead of compiled;
#   3. hack/cluster/up.sh (restarts only containerd when the cluster already runs);
#   4. labels the node faas-wasm/runtime=true and applies hack/shim/runtimeclass.yaml.
# Safe to run again. Undo: rm the drop-in and run up.sh again.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib.sh"
LOG_PREFIX=shim/cluster

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "building the shim, the runner and the node installer"
(cd "$REPO_ROOT" &&
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/containerd-shim-faaswasm-v1" ./cmd/containerd-shim-faaswasm-v1 &&
	go build -trimpath -ldflags "-s -w" -o "$work/faaswasm-runner" ./cmd/faaswasm-runner &&
	CGO_ENABLED=0 go build -trimpath -o "$work/nodeinstaller" ./hack/image/nodeinstaller)
keys=$STATE_DIR/build-keys
if [[ ! -s $keys/build.pub ]]; then
	mkdir -p "$keys"
	openssl genpkey -algorithm ed25519 -out "$keys/build.key"
	openssl pkey -in "$keys/build.key" -pubout -out "$keys/build.pub"
fi
"$work/nodeinstaller" -source "$work" -host-root / -bin-dir /usr/local/bin \
	-drop-in "$CONTAINERD_DROPINS/faaswasm.toml" -config-version 2 -restart none -oneshot \
	-trusted-build-keys "$keys/build.pub"

"$REPO_ROOT/hack/cluster/up.sh"

for node in $(kubectl_admin get nodes -o name); do
	kubectl_admin label --overwrite "$node" faas-wasm/runtime=true >/dev/null
	log "labelled $node faas-wasm/runtime=true"
done
kubectl_admin apply -f "$here/runtimeclass.yaml"
