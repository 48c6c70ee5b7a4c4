# shellcheck shell=bash disable=SC2034 # sourced: the variables are used by the scripts that source it
# Shared settings and helpers of the repository's scripts (hack/**, test/*/*.sh). Source it,
# do not run it:   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   (path relative to the script)
#
# Versions: the Kubernetes and etcd versions of the test cluster are the ones
# hack/k8s-tools/go.mod requires (k8s.io/kubernetes, go.etcd.io/etcd/server/v3) — defined there
# and only there; `go get k8s.io/kubernetes@vX.Y.Z` in hack/k8s-tools (plus its staging replace
# lines) moves every script, cache path and version stamp along.
#
# Set LOG_PREFIX before sourcing (or after) to tag log lines, e.g. LOG_PREFIX=shim/e2e.

HACK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$HACK_ROOT/.." && pwd)
K8S_TOOLS_DIR=$HACK_ROOT/k8s-tools

# gomod_version MODULE [GO.MOD]: the version GO.MOD (default hack/k8s-tools/go.mod) requires of MODULE.
gomod_version() {
	awk -v m="$1" '$1 == "require" && $2 == m { print $3; exit } $1 == m && $2 ~ /^v/ { print $2; exit }' \
		"${2:-$K8S_TOOLS_DIR/go.mod}"
}
K8S_VERSION=$(gomod_version k8s.io/kubernetes)
ETCD_VERSION=$(gomod_version go.etcd.io/etcd/server/v3)
[[ $K8S_VERSION =~ ^v1\.[0-9]+\.[0-9]+$ && -n $ETCD_VERSION ]] ||
	{ echo "lib.sh: cannot read the Kubernetes/etcd versions from $K8S_TOOLS_DIR/go.mod" >&2 && exit 1; }

# The test cluster's binaries (hack/cluster/build.sh), keyed by version, outside the repository.
CACHE_DIR=${FAAS_WASM_CACHE:-/var/cache/faas-wasm}/k8s-$K8S_VERSION
BIN_DIR=$CACHE_DIR/bin
IMAGE_DIR=$CACHE_DIR/images
KUBECTL=$BIN_DIR/kubectl
# Prometheus for the chart's cluster test (hack/prometheus/build.sh): github.com/prometheus/prometheus
# at this module version (v0.3XX.Y is Prometheus v3.XX.Y; chart/values.yaml's prometheus.image
# names the same release, test/chart checks it), built into a cache outside the repository.
PROMETHEUS_VERSION=v0.316.0
PROMETHEUS_BIN=${FAAS_WASM_CACHE:-/var/cache/faas-wasm}/prometheus-$PROMETHEUS_VERSION-kubernetes-sd/prometheus
# nats-server for the chart's cluster test (hack/nats/build.sh): the version the provider embeds in
# local mode, i.e. the one the repository's go.mod requires (chart/values.yaml's nats.image names
# the same release, test/chart checks it), built into a cache outside the repository.
NATS_VERSION=$(gomod_version github.com/nats-io/nats-server/v2 "$REPO_ROOT/go.mod")
[[ $NATS_VERSION =~ ^v2\.[0-9]+\.[0-9]+$ ]] || { echo "lib.sh: cannot read the nats-server version from $REPO_ROOT/go.mod" >&2 && exit 1; }
NATS_BIN=${FAAS_WASM_CACHE:-/var/cache/faas-wasm}/nats-server-$NATS_VERSION/nats-server
# The running test cluster's state (hack/cluster/up.sh) and the containerd drop-in directory it
# appends to its generated configuration (version 2 syntax).
STATE_DIR=${FAAS_WASM_CLUSTER_STATE:-/var/lib/faas-wasm-cluster}
KUBECONFIG_ADMIN=$STATE_DIR/admin.kubeconfig
CONTAINERD_DROPINS=${FAAS_WASM_CONTAINERD_DROPINS:-/etc/faas-wasm-cluster/containerd.d}

# log MESSAGE...: a timestamped line on stderr, tagged with $LOG_PREFIX.
log() { printf '%s %s%s\n' "$(date -u +%H:%M:%S)" "${LOG_PREFIX:+$LOG_PREFIX: }" "$*" >&2; }
# die MESSAGE...: log an error and exit 1.
die() { log "ERROR: $*"; exit 1; }

# kubectl_admin ARGS...: the cluster's kubectl as cluster admin.
kubectl_admin() { "$KUBECTL" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }

# cluster_ready: whether a test cluster is up and its API server ready.
cluster_ready() { [[ -s $KUBECONFIG_ADMIN ]] && kubectl_admin get --raw /readyz >/dev/null 2>&1; }

# free_port: a TCP port nothing listens on now (20000–39999).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}

# start_registry ADDR LOGFILE: serve a throwaway in-memory image registry (the cluster's imgtool)
# on ADDR (port 0: any) in the background; sets REGISTRY_PID and REGISTRY_ADDR (the address it
# listens on). Returns 1 when it does not start (e.g. the port is taken).
start_registry() {
	local i
	"$BIN_DIR/imgtool" registry -addr "$1" >"$2" 2>&1 &
	REGISTRY_PID=$!
	for ((i = 0; i < 50; i++)); do
		if grep -q '^listening on' "$2"; then
			REGISTRY_ADDR=$(awk '/^listening on/ { print $3; exit }' "$2")
			return 0
		fi
		kill -0 "$REGISTRY_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill "$REGISTRY_PID" 2>/dev/null
	REGISTRY_PID=
	return 1
}

# go_install_cached BIN PKG@VERSION [GO-INSTALL-FLAGS...]: builds PKG at VERSION through the Go
# module proxy — `go install` with PKG's own go.mod, CGO_ENABLED=0 (static), -trimpath, nice — into
# the cache path BIN (outside the repository, keyed by version by the caller) unless it is there,
# checks that `BIN --version` runs, and prints BIN.
go_install_cached() {
	local bin=$1 pkg=$2 dir tmp t0 name
	shift 2
	# go install names the binary after the package path, without a major version suffix.
	name=$(basename "${pkg%@*}")
	[[ $name =~ ^v[0-9]+$ ]] && name=$(basename "$(dirname "${pkg%@*}")")
	if [[ -x $bin ]]; then
		echo "$bin"
		return 0
	fi
	dir=$(dirname "$bin")
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir.tmp.XXXXXX")
	log "building $pkg (cached in $dir)"
	t0=$(date +%s)
	if ! (cd "$tmp" && GOFLAGS='' GOBIN=$tmp CGO_ENABLED=0 nice -n 10 go install -trimpath "$@" "$pkg"); then
		rm -rf "$tmp"
		die "go install $pkg"
	fi
	if ! "$tmp/$name" --version >/dev/null; then
		rm -rf "$tmp"
		die "the built $pkg does not run"
	fi
	mv "$tmp/$name" "$bin"
	rm -rf "$tmp"
	log "built in $(($(date +%s) - t0)) s"
	echo "$bin"
}

# pidfile_runs NAME FILE: true when FILE holds the pid of a live process
# named NAME. A pid file can outlive its process (a reboot, a kill -9) and
# its pid be reused by another program, so kill -0 alone is not enough.
pidfile_runs() {
	local pid
	[[ -f $2 ]] || return 1
	pid=$(cat "$2")
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && [[ $(cat "/proc/$pid/comm" 2>/dev/null) == "$1" ]]
}

# stop_pid PID...: SIGTERM background processes this script started and reap them.
stop_pid() {
	local pid
	for pid in "$@"; do
		[[ -n $pid ]] || continue
		kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	return 0
}
