#!/usr/bin/env bash
# Starts the single-node faas-wasm test cluster: its own containerd (CRI), etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet and kube-proxy (iptables), from the binaries
# build.sh caches. Waits for the node to be Ready and writes $STATE/admin.kubeconfig.
# Idempotent: components already running are left alone, certificates are kept.
# See README.md for the environment variables (ranges, registries, extra runtimes).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$HACK_DIR/certs.sh"
. "$HACK_DIR/configs.sh"

[[ $(id -u) -eq 0 ]] || die "up.sh must run as root"
t0=$SECONDS
"$HACK_DIR/build.sh"
mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR" "$PID_DIR"
chmod 700 "$STATE_DIR"

# Host settings. The kubelet changes kernel.panic, kernel.panic_on_oops, vm.overcommit_memory,
# vm.panic_on_oom and kernel.keys.root_max*; we need forwarding and bridge netfilter. Save the
# originals once.
SYSCTLS=(kernel.panic kernel.panic_on_oops vm.overcommit_memory vm.panic_on_oom kernel.keys.root_maxkeys
	kernel.keys.root_maxbytes net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables)
if [[ ! -s $STATE_DIR/sysctl.saved ]]; then
	for k in "${SYSCTLS[@]}"; do
		[[ -e /proc/sys/${k//.//} ]] && echo "$k=$(cat "/proc/sys/${k//.//}")"
	done >"$STATE_DIR/sysctl.saved.tmp"
	mv "$STATE_DIR/sysctl.saved.tmp" "$STATE_DIR/sysctl.saved"
fi
sysctl -qw net.ipv4.ip_forward=1
[[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]] || die "bridge netfilter is missing (br_netfilter)"
sysctl -qw net.bridge.bridge-nf-call-iptables=1

if ! ip link show "$NODE_BRIDGE" >/dev/null 2>&1; then
	ip link add "$NODE_BRIDGE" type bridge
fi
ip addr replace "$NODE_IP/32" dev "$NODE_BRIDGE"
ip link set "$NODE_BRIDGE" up

make_pki
make_kubeconfigs
write_containerd_config
write_cni_config
write_component_configs
CFG=$STATE_DIR/config

# A running component whose config file changed since it started is restarted.
for pair in kubelet:kubelet.yaml kube-proxy:kube-proxy.yaml kube-scheduler:kube-scheduler.yaml; do
	if [[ -n $(pid_of "${pair%%:*}") && $CFG/${pair#*:} -nt $PID_DIR/${pair%%:*}.pid ]]; then
		log "${pair#*:} changed: restarting ${pair%%:*}"
		stop_proc "${pair%%:*}"
	fi
done

# containerd: restarted when its generated config changed since it started (running
# containers survive a containerd restart).
if [[ -n $(pid_of containerd) ]] && ! cmp -s "$CONTAINERD_DIR/config.toml" "$RUN_DIR/containerd.config.started"; then
	log "containerd config changed: restarting containerd"
	stop_proc containerd
fi
shim_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
for d in $SHIM_DIRS; do shim_path=$d:$shim_path; done
if [[ -z $(pid_of containerd) ]]; then
	cp "$CONTAINERD_DIR/config.toml" "$RUN_DIR/containerd.config.started"
fi
PATH=$shim_path start_proc containerd "$(command -v containerd)" --config "$CONTAINERD_DIR/config.toml"
ctr_() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
WAIT_PROC=containerd wait_for containerd 30 ctr_ version
if ! ctr_ images ls -q | grep -qxF "$PAUSE_IMAGE"; then
	ctr_ images import "$IMAGE_DIR/pause.tar" >/dev/null
	log "imported $PAUSE_IMAGE into containerd namespace k8s.io"
fi

start_proc etcd "$BIN_DIR/etcd" --name faas-wasm --data-dir "$STATE_DIR/etcd" \
	--listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
	--listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
	--initial-cluster "faas-wasm=http://127.0.0.1:$ETCD_PEER_PORT" \
	--unsafe-no-fsync --log-level warn
WAIT_PROC=etcd wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health"

P=$PKI_DIR
start_proc kube-apiserver "$BIN_DIR/kube-apiserver" \
	--bind-address "$NODE_IP" --advertise-address "$NODE_IP" --secure-port "$API_PORT" \
	--etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
	--service-cluster-ip-range "$SERVICE_CIDR" \
	--client-ca-file "$P/ca.crt" --tls-cert-file "$P/apiserver.crt" --tls-private-key-file "$P/apiserver.key" \
	--kubelet-client-certificate "$P/apiserver-kubelet-client.crt" --kubelet-client-key "$P/apiserver-kubelet-client.key" \
	--kubelet-certificate-authority "$P/ca.crt" --kubelet-preferred-address-types InternalIP \
	--service-account-issuer https://kubernetes.default.svc.cluster.local \
	--service-account-key-file "$P/sa.pub" --service-account-signing-key-file "$P/sa.key" \
	--authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
	--allow-privileged=true --anonymous-auth=false --profiling=false
WAIT_PROC=kube-apiserver wait_for kube-apiserver 120 kubectl_admin get --raw /readyz

start_proc kube-controller-manager "$BIN_DIR/kube-controller-manager" \
	--kubeconfig "$CFG/controller-manager.kubeconfig" \
	--authentication-kubeconfig "$CFG/controller-manager.kubeconfig" \
	--authorization-kubeconfig "$CFG/controller-manager.kubeconfig" \
	--bind-address 127.0.0.1 --leader-elect=false --cluster-name faas-wasm \
	--service-cluster-ip-range "$SERVICE_CIDR" --cluster-cidr "$POD_CIDR" \
	--service-account-private-key-file "$P/sa.key" --root-ca-file "$P/ca.crt" \
	--cluster-signing-cert-file "$P/ca.crt" --cluster-signing-key-file "$P/ca.key" \
	--use-service-account-credentials=true --profiling=false
start_proc kube-scheduler "$BIN_DIR/kube-scheduler" --config "$CFG/kube-scheduler.yaml" \
	--authentication-kubeconfig "$CFG/scheduler.kubeconfig" --authorization-kubeconfig "$CFG/scheduler.kubeconfig" \
	--bind-address 127.0.0.1 --profiling=false
start_proc kubelet "$BIN_DIR/kubelet" --config "$CFG/kubelet.yaml" --kubeconfig "$CFG/kubelet.kubeconfig" \
	--root-dir "$STATE_DIR/kubelet" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
start_proc kube-proxy "$BIN_DIR/kube-proxy" --config "$CFG/kube-proxy.yaml"

for rc in $RUNTIME_CLASSES; do
	kubectl_admin apply -f - >/dev/null <<YAML
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata:
  name: ${rc%%=*}
handler: ${rc#*=}
YAML
done

WAIT_PROC=kubelet wait_for "node $NODE_NAME to register" 90 kubectl_admin get node "$NODE_NAME"
kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout=120s >/dev/null ||
	die "node $NODE_NAME not Ready; see $LOG_DIR/kubelet.log"
wait_for "default service account" 60 kubectl_admin get serviceaccount default

log "cluster up in $((SECONDS - t0)) s: node $NODE_NAME Ready, API https://$NODE_IP:$API_PORT"
cat <<EOT
Use it with:
  export KUBECONFIG=$KUBECONFIG_ADMIN
  $BIN_DIR/kubectl get nodes
Pods: $NODE_POD_CIDR (bridge $BRIDGE)   Services: $SERVICE_CIDR   Registries over HTTP: $REGISTRIES
Logs: $LOG_DIR   Stop and clean up: hack/cluster/down.sh
EOT
