# Shared settings for the faas-wasm test cluster scripts (sourced, not executed).
# Every path and range can be overridden from the environment.

K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.4
HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS_DIR=$(cd "$HACK_DIR/../k8s-tools" && pwd)
CACHE_DIR=${FAAS_WASM_CACHE:-/var/cache/faas-wasm}/k8s-$K8S_VERSION
BIN_DIR=$CACHE_DIR/bin
IMAGE_DIR=$CACHE_DIR/images

# Binaries build.sh produces (one `go build`), all into $BIN_DIR.
K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
TOOL_BINARIES=(etcd pause smokeserver imgtool)

# Sandbox image: built locally, imported into containerd namespace k8s.io, never pulled.
PAUSE_IMAGE=${FAAS_WASM_PAUSE_IMAGE:-faas-wasm.local/pause:1}

STATE_DIR=${FAAS_WASM_CLUSTER_STATE:-/var/lib/faas-wasm-cluster}
RUN_DIR=${FAAS_WASM_CLUSTER_RUN:-/run/faas-wasm-cluster}
CONTAINERD_SOCK=$RUN_DIR/containerd.sock
KUBECONFIG_ADMIN=$STATE_DIR/admin.kubeconfig
NODE_NAME=${FAAS_WASM_NODE_NAME:-faas-wasm-node}
POD_CIDR=${FAAS_WASM_POD_CIDR:-10.244.0.0/16}
NODE_POD_CIDR=${FAAS_WASM_NODE_POD_CIDR:-10.244.0.0/24}
SERVICE_CIDR=${FAAS_WASM_SERVICE_CIDR:-10.96.0.0/16}
API_SERVICE_IP=${FAAS_WASM_API_SERVICE_IP:-10.96.0.1}
BRIDGE=${FAAS_WASM_BRIDGE:-fwcni0}
CNI_NETWORK=faas-wasm
REGISTRY_MIRROR=${FAAS_WASM_REGISTRY:-127.0.0.1:5000}
API_PORT=${FAAS_WASM_API_PORT:-6443}
ETCD_CLIENT_PORT=${FAAS_WASM_ETCD_PORT:-2479}
ETCD_PEER_PORT=$((ETCD_CLIENT_PORT + 1))

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
