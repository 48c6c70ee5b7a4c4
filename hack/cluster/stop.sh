#!/usr/bin/env bash
# Stops single components of the running test cluster, e.g. to test an API server outage:
#   hack/cluster/stop.sh kube-apiserver        # SIGTERM, SIGKILL after 20 s
#   hack/cluster/stop.sh -k kube-apiserver     # SIGKILL at once (a crash)
# up.sh afterwards starts only what is not running. down.sh is the full teardown.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
timeout=20
if [[ ${1:-} == -k ]]; then
	timeout=0
	shift
fi
(($#)) || die "usage: stop.sh [-k] COMPONENT... (containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)"
for c in "$@"; do
	[[ -n $(pid_of "$c") ]] || log "$c is not running"
	stop_proc "$c" "$timeout"
done
