#!/usr/bin/env bash
# End-to-end check of the Wasm shim on the test cluster (run hack/shim/cluster.sh first):
#   1. builds functions/go/prime-numbers as Wasm and natively, and the shim tests' guest module;
#   2. serves a throwaway registry (hack/cluster's imgtool) on 127.0.0.1:5000, or reuses one
#      already there, and pushes the images (hack/image);
#   3. a Wasm pod with runtimeClassName faas-wasm: Ready, invoked from the node, its logs hold
#      the runner's and the module's lines, a looping request is cut off (504) and an exiting
#      one reported (500) while the pod stays Ready with no restart;
#   4. podbench: ROUNDS (default 20) rounds of deploy → first 200 and pod-delete → first 200
#      for the Wasm and the container variant, and RSS per pod, medians printed.
# Needs root on the node. Exits non-zero on the first failure.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
LOG_PREFIX=shim/e2e
repo=$REPO_ROOT
export KUBECONFIG=$KUBECONFIG_ADMIN
kubectl=$KUBECTL
rounds=${ROUNDS:-20}
ns=shim-e2e

work=$(mktemp -d)
REGISTRY_PID=
cleanup() {
	kubectl_admin delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true
	stop_pid "$REGISTRY_PID"
	rm -rf "$work"
}
trap cleanup EXIT

cluster_ready || die "cluster not ready: run hack/shim/cluster.sh"

log "building modules and binaries"
(cd "$repo" &&
	GOOS=wasip1 GOARCH=wasm go build -C functions/go/prime-numbers -trimpath -ldflags "-s -w" -o "$work/prime.wasm" . &&
	GOOS=wasip1 GOARCH=wasm go build -trimpath -ldflags "-s -w" -o "$work/guest.wasm" ./internal/shim/testdata/guest &&
	CGO_ENABLED=0 go build -C functions/go/prime-numbers -trimpath -ldflags "-s -w" -o "$work/prime" . &&
	go build -o "$work/image" ./hack/image &&
	go build -o "$work/podbench" ./hack/shim/podbench)

reg=127.0.0.1:5000
if ! curl -fsS "http://$reg/v2/" >/dev/null 2>&1; then
	start_registry "$reg" "$work/registry.log" || die "registry: $(cat "$work/registry.log")"
fi
tag=$(date +%s)
for img in prime-wasm:wasm:prime.wasm guest-wasm:wasm:guest.wasm prime-native:binary:prime; do
	IFS=: read -r name kind file <<<"$img"
	"$work/image" -kind "$kind" -bin "$work/$file" -ref "$reg/shim-e2e/$name:$tag" >/dev/null
done
log "pushed images to $reg/shim-e2e (tag $tag)"

"$kubectl" create namespace "$ns" >/dev/null 2>&1 || true
"$kubectl" apply -n "$ns" -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: guest
spec:
  runtimeClassName: faas-wasm
  automountServiceAccountToken: false
  terminationGracePeriodSeconds: 2
  containers:
  - name: fn
    image: $reg/shim-e2e/guest-wasm:$tag
    imagePullPolicy: IfNotPresent
    env: [{name: exec_timeout, value: 2s}]
    resources: {limits: {memory: 128Mi}}
    readinessProbe:
      httpGet: {path: /_/health, port: 8080}
      periodSeconds: 1
YAML
"$kubectl" wait -n "$ns" pod/guest --for=condition=Ready --timeout=120s >/dev/null || die "Wasm pod not Ready"
ip=$("$kubectl" get pod -n "$ns" guest -o jsonpath='{.status.podIP}')
check() { # method path want-status want-substring
	local out code
	out=$(curl -sS -m 10 -X "$1" -d ping -w '\n%{http_code}' "http://$ip:8080$2")
	code=${out##*$'\n'}
	[[ $code == "$3" && $out == *"$4"* ]] || die "$1 $2: got $code ${out%$'\n'*}, want $3 containing $4"
	log "$1 $2 → $code"
}
check POST /echo 200 ping
check GET /log 200 logged
check GET /loop 504 "timed out"
check GET /exit 500 "code 3"
check POST /echo 200 ping
logs=$("$kubectl" logs -n "$ns" guest)
[[ $logs == *guest-log-line* && $logs == *"invocation failed"* && $logs == *"module loaded"* ]] ||
	die "kubectl logs lacks the module's or the runner's lines: $logs"
log "kubectl logs holds the module's stderr and the runner's messages"
restarts=$("$kubectl" get pod -n "$ns" guest -o jsonpath='{.status.containerStatuses[0].restartCount}')
[[ $restarts == 0 ]] || die "pod restarted $restarts times"
"$kubectl" wait -n "$ns" pod/guest --for=condition=Ready --timeout=10s >/dev/null || die "pod not Ready after the failures"
log "a looping and an exiting request were contained: pod Ready, 0 restarts"
"$kubectl" delete -n "$ns" pod guest --wait=true >/dev/null

log "podbench: $rounds rounds per kind"
"$work/podbench" -namespace shim-bench -rounds "$rounds" \
	-wasm-image "$reg/shim-e2e/prime-wasm:$tag" -native-image "$reg/shim-e2e/prime-native:$tag"
log "PASS"
