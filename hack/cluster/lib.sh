# shellcheck shell=bash disable=SC2034 # sourced: variables are used by the scripts that source it
# Settings and helpers of the faas-wasm test cluster scripts (sourced, not executed), on top of
# hack/lib.sh (versions, cache and state paths, log/die, kubectl_admin). Every path and range
# can be overridden from the environment.

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../lib.sh
. "$HACK_DIR/../lib.sh"
TOOLS_DIR=$K8S_TOOLS_DIR

# Binaries build.sh produces (one `go build`), all into $BIN_DIR.
K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
TOOL_BINARIES=(etcd pause smokeserver imgtool criclean)

# Sandbox image: built locally, imported into containerd namespace k8s.io, never pulled.
PAUSE_IMAGE=${FAAS_WASM_PAUSE_IMAGE:-faas-wasm.local/pause:1}

RUN_DIR=${FAAS_WASM_CLUSTER_RUN:-/run/faas-wasm-cluster}
CONTAINERD_SOCK=$RUN_DIR/containerd.sock
NODE_NAME=${FAAS_WASM_NODE_NAME:-faas-wasm-node}
POD_CIDR=${FAAS_WASM_POD_CIDR:-10.244.0.0/16}
NODE_POD_CIDR=${FAAS_WASM_NODE_POD_CIDR:-10.244.0.0/24}
SERVICE_CIDR=${FAAS_WASM_SERVICE_CIDR:-10.96.0.0/16}
API_SERVICE_IP=${FAAS_WASM_API_SERVICE_IP:-10.96.0.1}
BRIDGE=${FAAS_WASM_BRIDGE:-fwcni0}
# The node's address lives on a port-less bridge of its own: the API server and kubelet bind
# it (pods must reach them; Endpoints may not be loopback) and no route leads to it from outside.
NODE_IP=${FAAS_WASM_NODE_IP:-10.243.0.1}
NODE_BRIDGE=${FAAS_WASM_NODE_BRIDGE:-fwnode0}
CNI_NETWORK=faas-wasm-cluster
# Loopback registries containerd pulls from over plain HTTP (space-separated host:port list).
REGISTRIES=${FAAS_WASM_REGISTRIES:-127.0.0.1:5000 localhost:5000}
# Extra containerd runtimes, "name=runtime_type" space-separated, e.g.
# "faaswasm=io.containerd.faaswasm.v1"; their shims must be on PATH or in $SHIM_DIRS.
EXTRA_RUNTIMES=${FAAS_WASM_RUNTIMES:-}
SHIM_DIRS=${FAAS_WASM_SHIM_DIRS:-}
# Drop-in containerd config fragments in $CONTAINERD_DROPINS (hack/lib.sh; *.toml, version 2
# tables such as [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.NAME]) are appended to
# the generated config.
# RuntimeClasses created at start, "class=handler" space-separated.
RUNTIME_CLASSES=${FAAS_WASM_RUNTIME_CLASSES:-faas-wasm=faaswasm}
API_PORT=${FAAS_WASM_API_PORT:-6443}
ETCD_CLIENT_PORT=${FAAS_WASM_ETCD_PORT:-2479}
ETCD_PEER_PORT=$((ETCD_CLIENT_PORT + 1))

case $STATE_DIR:$RUN_DIR in
/?*/*:/?*/* | /?*:/?*) ;;
*) echo "state/run dirs must be absolute and not /: $STATE_DIR $RUN_DIR" >&2 && exit 1 ;;
esac

PID_DIR=$RUN_DIR/pids
LOG_DIR=$STATE_DIR/logs

# pid_of NAME: the recorded pid of component NAME if that process still runs the recorded
# binary, else nothing (a stale or recycled pid is never reported).
pid_of() {
	local f=$PID_DIR/$1.pid pid exe
	[[ -s $f ]] || return 0
	read -r pid exe <"$f"
	[[ -n $pid && -d /proc/$pid ]] || return 0
	local running
	running=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 0
	[[ ${running% (deleted)} == "$exe" ]] && echo "$pid"
	return 0
}

# start_proc NAME BINARY ARGS...: start a component in its own session, logging to
# $LOG_DIR/NAME.log, unless it already runs.
start_proc() {
	local name=$1 bin=$2
	shift 2
	local pid
	pid=$(pid_of "$name")
	if [[ -n $pid ]]; then
		log "$name already running (pid $pid)"
		return 0
	fi
	mkdir -p "$PID_DIR" "$LOG_DIR"
	setsid "$bin" "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
	echo "$! $(readlink -f "$bin")" >"$PID_DIR/$name.pid"
	log "$name started (pid $!, log $LOG_DIR/$name.log)"
}

# stop_proc NAME [TIMEOUT]: SIGTERM the recorded pid and SIGKILL it after TIMEOUT seconds
# (default 20; 0 sends SIGKILL at once), then wait until it is gone.
stop_proc() {
	local name=$1 timeout=${2:-20} pid i
	pid=$(pid_of "$name")
	if [[ -n $pid ]]; then
		if ((timeout > 0)); then
			kill -TERM "$pid" 2>/dev/null || true
			for ((i = 0; i < timeout * 10; i++)); do
				[[ -d /proc/$pid ]] || break
				sleep 0.1
			done
		fi
		if [[ -d /proc/$pid ]]; then
			((timeout > 0)) && log "$name (pid $pid) still running after ${timeout} s, killing"
			kill -KILL "$pid" 2>/dev/null || true
			for ((i = 0; i < 100; i++)); do
				[[ -d /proc/$pid ]] || break
				sleep 0.1
			done
		fi
		log "$name stopped"
	fi
	rm -f "$PID_DIR/$name.pid"
}

# wait_for WHAT SECONDS CMD...: retry CMD every 0.2 s until it succeeds or SECONDS of wall
# time have passed. With WAIT_PROC=NAME set, give up early if component NAME is gone.
wait_for() {
	local what=$1 deadline=$((SECONDS + $2))
	shift 2
	while ((SECONDS < deadline)); do
		"$@" >/dev/null 2>&1 && return 0
		if [[ -n ${WAIT_PROC:-} && -z $(pid_of "$WAIT_PROC") ]]; then
			tail -n 5 "$LOG_DIR/$WAIT_PROC.log" >&2 2>/dev/null
			die "$WAIT_PROC exited while waiting for $what; see $LOG_DIR/$WAIT_PROC.log"
		fi
		sleep 0.2
	done
	die "timed out after $2 s waiting for $what"
}

# registry_hosts_dir HOST:PORT: the containerd hosts.toml directory of a registry.
registry_hosts_dir() { echo "$STATE_DIR/containerd/certs.d/$1"; }

# allow_http_registry HOST:PORT: let containerd pull from that loopback registry over plain
# HTTP. containerd reads these files on every pull: no restart needed.
allow_http_registry() {
	local host=${1%:*}
	case $host in
	127.* | localhost | "[::1]") ;;
	*) die "$1 is not a loopback registry" ;;
	esac
	local dir
	dir=$(registry_hosts_dir "$1")
	mkdir -p "$dir"
	printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' "$1" "$1" >"$dir/hosts.toml.tmp"
	mv -f "$dir/hosts.toml.tmp" "$dir/hosts.toml"
}
