#!/usr/bin/env bash
# Smoke test of a running test cluster (up.sh): packages the static smokeserver binary as an
# image, pushes it to a throwaway loopback registry, runs it as a 2-replica Deployment with a
# ClusterIP Service, waits until Ready, curls every pod IP and the ClusterIP, deletes it all and
# prints timings. Exits non-zero on the first failure.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS=faas-wasm-smoke
REPLICAS=${SMOKE_REPLICAS:-2}
[[ -s $KUBECONFIG_ADMIN ]] || die "no $KUBECONFIG_ADMIN: run hack/cluster/up.sh first"
kubectl_admin get --raw /readyz >/dev/null || die "API server not ready"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
timings=()
mark() { timings+=("$(printf '%-34s %6s s' "$1" "$2")"); }

work=$(mktemp -d)
reg_pid=
hosts_made=
cleanup() {
	[[ -n $hosts_made ]] && rm -rf "$hosts_made"
	kubectl_admin delete namespace "$NS" --ignore-not-found --wait=false >/dev/null 2>&1 || true
	stop_pid "$reg_pid"
	rm -rf "$work"
}
trap cleanup EXIT

# Registry: the preconfigured 127.0.0.1:5000 if free, else any port plus a hosts.toml for it
# (containerd reads registry host configs on every pull, no restart needed).
start_registry 127.0.0.1:5000 "$work/registry.log" || start_registry 127.0.0.1:0 "$work/registry.log" ||
	die "registry: $(cat "$work/registry.log")"
reg_pid=$REGISTRY_PID
REG=$REGISTRY_ADDR
if [[ ! -s $(registry_hosts_dir "$REG")/hosts.toml ]]; then
	allow_http_registry "$REG"
	hosts_made=$(registry_hosts_dir "$REG")
fi
log "registry on $REG (pid $reg_pid)"

t=$(now)
IMAGE=$REG/faas-wasm/smoke:$(date +%s)
digest=$("$BIN_DIR/imgtool" push -bin "$BIN_DIR/smokeserver" -ref "$IMAGE" -port 8080)
mark "build+push image" "$(elapsed "$t")"
log "pushed $IMAGE@$digest"

t=$(now)
kubectl_admin create namespace "$NS" >/dev/null
kubectl_admin apply -n "$NS" -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: smoke
  labels: {app: smoke}
spec:
  replicas: $REPLICAS
  selector:
    matchLabels: {app: smoke}
  template:
    metadata:
      labels: {app: smoke}
    spec:
      automountServiceAccountToken: false
      terminationGracePeriodSeconds: 5
      containers:
      - name: smoke
        image: $IMAGE
        imagePullPolicy: IfNotPresent
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /_/health, port: 8080}
          periodSeconds: 1
        securityContext:
          readOnlyRootFilesystem: true
          runAsNonRoot: true
          runAsUser: 65534
          allowPrivilegeEscalation: false
---
apiVersion: v1
kind: Service
metadata:
  name: smoke
spec:
  selector: {app: smoke}
  ports: [{port: 8080, targetPort: 8080}]
YAML
if ! kubectl_admin -n "$NS" rollout status deployment/smoke --timeout=120s >/dev/null; then
	kubectl_admin -n "$NS" describe pods >&2 || true
	die "deployment not ready"
fi
mark "deploy -> $REPLICAS pods Ready" "$(elapsed "$t")"

pod_ips=$(kubectl_admin -n "$NS" get pods -l app=smoke -o jsonpath='{.items[*].status.podIP}')
cluster_ip=$(kubectl_admin -n "$NS" get service smoke -o jsonpath='{.spec.clusterIP}')
log "pod IPs: $pod_ips; ClusterIP: $cluster_ip"
for ip in $pod_ips; do
	t=$(now)
	body=$(curl -sf --max-time 5 "http://$ip:8080/") || die "curl pod $ip failed"
	mark "curl pod $ip" "$(elapsed "$t")"
	[[ $body == "hello from smoke-"* ]] || die "pod $ip answered: $body"
	[[ $(curl -sf --max-time 5 "http://$ip:8080/_/health") == ok ]] || die "pod $ip health check failed"
done

# Pod logs go API server -> kubelet (TLS both ways): what the provider's log streaming needs.
t=$(now)
kubectl_admin -n "$NS" logs deployment/smoke | grep -q listening || die "pod logs lack the server's start line"
mark "kubectl logs" "$(elapsed "$t")"

# The Service endpoints can lag the pods' readiness by a moment.
t=$(now)
wait_for "ClusterIP $cluster_ip" 30 curl -sf --max-time 2 "http://$cluster_ip:8080/_/health"
mark "ClusterIP first answer" "$(elapsed "$t")"
seen=()
for ((i = 0; i < 20; i++)); do
	seen+=("$(curl -sf --max-time 5 "http://$cluster_ip:8080/")") || die "curl ClusterIP failed"
done
distinct=$(printf '%s\n' "${seen[@]}" | sort -u | wc -l)
log "20 ClusterIP requests reached $distinct distinct pods"

t=$(now)
kubectl_admin delete namespace "$NS" --timeout=120s >/dev/null
mark "delete namespace (pods gone)" "$(elapsed "$t")"

echo "smoke test passed"
printf '  %s\n' "${timings[@]}"
