#!/usr/bin/env bash
# The chart on the real test cluster of hack/cluster (needs root):
#   1. waits (up to 30 min) while a cluster someone else started is running, then starts its own
#      (hack/cluster/up.sh) and deletes the RuntimeClass up.sh makes, so the chart's is the only one;
#   2. builds the provider and node-installer images (hack/image/build.sh), the study's
#      prime-numbers function as Wasm (faas-wasm build with a build key made for the run: the
#      image carries its module precompiled and signed) and as a static binary, and a Prometheus
#      image; pushes them to a throwaway loopback registry the cluster pulls from
#      (hack/cluster/add-registry.sh);
#   3. renders the chart with Helm's Go library (cmd/render) with the gateway disabled (its image
#      cannot be pulled here), the node installer writing the cluster's containerd drop-in and
#      provider.trustedBuildKeys holding the build key's public half, labels the node, applies
#      the manifests with kubectl;
#   4. checks the node installer becomes Ready (shim installed, runtime registered), restarts the
#      cluster's containerd through up.sh to load the runtime, checks the provider becomes Ready
#      and the RuntimeClass is the chart's;
#   5. deploys prime-numbers as a Wasm function and as a container function through the
#      in-cluster provider's API (pod IP, basic auth from the chart's Secret), checks the Wasm
#      pod runs with the RuntimeClass and that both answer the same through /function/, that the
#      node installer wrote provider.trustedBuildKeys for the node's shim, and that the shim
#      installed the Wasm function's signed precompiled layer instead of compiling its module
#      (the pod log's "module ready" line) unless the node's cache already held the module;
#   6. Prometheus (built from source by hack/prometheus/build.sh, pushed as an image): the gateway's
#      faas_prometheus_host/port (the chart rendered with the gateway enabled) name the chart's
#      Prometheus Service; after more calls, that Service answers the exact query the gateway
#      sends for its function list with the invocation counts the provider reports, its provider
#      target is up and OpenFaaS's alert rule is loaded (cmd/promcheck);
#   7. asynchronous invocations (cmd/asynccheck) against the chart's NATS — nats-server built from
#      source by hack/nats/build.sh (the version go.mod embeds), pushed as a FROM-scratch image,
#      its JetStream file store on a PersistentVolume (hostPath, Retain) so it outlives the NATS
#      pod, its Service at a fixed ClusterIP (nats.clusterIP: the cluster has no DNS): one call per
#      function through the provider's Service, each result posted by the provider pod to a
#      receiver on the node IP with the OpenFaaS headers; calls queued, the provider pod deleted
#      (--force) mid-queue, every result arrives; again with the NATS pod deleted mid-queue; the
#      provider's /metrics shows the queue depth back to 0 and the outcomes;
#   8. always: restores the node files the installer replaced, stops the registry and runs
#      hack/cluster/down.sh.
# SHARED=1 uses a cluster someone else started and leaves it running and as it was: the node
# installer writes into a private directory and a drop-in containerd does not read (its copy and
# registration are checked, containerd is not restarted), Wasm pods use the shim already
# registered there as runtime faaswasm through the chart's RuntimeClass, created as
# chart-e2e-wasm (runtimeClass.name, passed to the provider); everything applied is deleted.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../../hack/lib.sh"
LOG_PREFIX=chart/cluster
repo=$REPO_ROOT
cache=$BIN_DIR
export KUBECONFIG=$KUBECONFIG_ADMIN
kubectl=$KUBECTL
dropins=$CONTAINERD_DROPINS
reg=${CHART_REGISTRY:-127.0.0.1:5077}
ns=chart-e2e
fns=chart-e2e-fn
# A free address of the test cluster's Service range (10.96.0.0/16) for the NATS Service.
nats_ip=${CHART_NATS_IP:-10.96.200.42}
nats_pv=chart-e2e-nats-store

shared=${SHARED:-0}
for i in $(seq 30); do
	[[ $shared == 1 ]] && break
	pgrep -f "$cache/kube-apiserver" >/dev/null || break
	((i < 30)) || die "a cluster someone else started is still running after 30 minutes"
	log "a cluster is running and is not ours: waiting ($i/30)"
	sleep 60
done

work=$(mktemp -d)
REGISTRY_PID=
backup=$work/backup
mkdir -p "$backup"
bindir=/usr/local/bin dropin=$dropins/faaswasm.toml rcname=faas-wasm
if [[ $shared == 1 ]]; then
	private=/var/lib/faas-wasm-chart-e2e
	bindir=$private/bin dropin=$private/containerd.d/faaswasm.toml rcname=chart-e2e-wasm
fi
node_files=("$bindir/containerd-shim-faaswasm-v1" "$bindir/faaswasm-runner" "$dropin")
for f in "${node_files[@]}"; do
	[[ -e $f ]] && cp -p "$f" "$backup/$(basename "$f")"
done
cleanup() {
	local rc=$?
	if ((rc != 0)); then
		"$kubectl" get pods -A -o wide 2>/dev/null || true
		"$kubectl" logs -n "$ns" -l app.kubernetes.io/component=provider --tail=30 2>/dev/null || true
		"$kubectl" logs -n "$ns" -l app.kubernetes.io/component=node-installer --tail=30 2>/dev/null || true
	fi
	if [[ $shared == 1 ]]; then
		[[ -f $work/manifest.yaml ]] && "$kubectl" delete --ignore-not-found --wait=false -f "$work/manifest.yaml" >/dev/null 2>&1
		"$kubectl" delete namespace "$ns" "$fns" --ignore-not-found --wait=false >/dev/null 2>&1
		"$kubectl" delete pv "$nats_pv" --ignore-not-found --wait=false >/dev/null 2>&1
		if [[ ${unlabel:-0} == 1 ]]; then
			for node in $("$kubectl" get nodes -o name); do "$kubectl" label "$node" faas-wasm/runtime- >/dev/null 2>&1; done
		fi
		rm -rf "$private"
	else
		"$repo/hack/cluster/down.sh" >"$work/down.log" 2>&1 || { cat "$work/down.log"; log "down.sh failed"; }
		for f in "${node_files[@]}"; do
			if [[ -e $backup/$(basename "$f") ]]; then cp -p "$backup/$(basename "$f")" "$f"; else rm -f "$f"; fi
		done
	fi
	stop_pid "$REGISTRY_PID"
	rm -rf "$work"
	log "cleaned up (shared=$shared, exit $rc)"
}
trap cleanup EXIT

t0=$(date +%s)
if [[ $shared == 1 ]]; then
	"$kubectl" get --raw /readyz >/dev/null || die "SHARED=1: no running cluster"
	[[ -n $("$kubectl" get nodes -o jsonpath='{.items[0].metadata.labels.faas-wasm/runtime}') ]] || unlabel=1
	"$kubectl" get runtimeclass faas-wasm >/dev/null || die "SHARED=1: the cluster has no RuntimeClass faas-wasm (run hack/shim/cluster.sh)"
	log "using the running cluster (shared: left running)"
else
	log "starting the cluster"
	"$repo/hack/cluster/up.sh" >"$work/up.log" 2>&1 || { cat "$work/up.log"; die "up.sh"; }
	"$kubectl" delete runtimeclass --all >/dev/null
	log "cluster up in $(($(date +%s) - t0)) s"
fi

if ! curl -fsS "http://$reg/v2/" >/dev/null 2>&1; then
	start_registry "$reg" "$work/registry.log" || die "registry: $(cat "$work/registry.log")"
fi
"$repo/hack/cluster/add-registry.sh" "$reg" >/dev/null

tag=$(date +%s)
log "building and pushing images (tag $tag)"
OUT=$work/img "$repo/hack/image/build.sh" "$reg/chart-e2e" "$tag" 2>"$work/build.err" | sed 's/^/  /' ||
	{ cat "$work/build.err"; die "hack/image/build.sh"; }
(cd "$repo" &&
	CGO_ENABLED=0 go build -C functions/go/prime-numbers -trimpath -ldflags "-s -w" -o "$work/prime" . &&
	go build -o "$work/image" ./hack/image && go build -o "$work/faas-wasm-tools" ./cmd/faas-wasm-tools)
"$work/image" -kind binary -bin "$work/prime" -ref "$reg/chart-e2e/prime-native:$tag" >/dev/null
# The Wasm function as the stack builds it, signed with a key made for this run, which the chart
# makes the provider trust (provider.trustedBuildKeys): the provider loads its precompiled layer.
"$work/faas-wasm-tools" keygen --out "$work/build" >/dev/null
(cd "$repo" && "$work/faas-wasm-tools" build -f stack.yml --only prime-numbers-wasm --push "$reg" --sign-key "$work/build.key" --quiet) \
	>"$work/build-wasm.log" 2>&1 || { cat "$work/build-wasm.log"; die "faas-wasm build prime-numbers-wasm --sign-key"; }
prime_wasm=$reg/prime-numbers-wasm:latest
{ echo "provider:"; echo "  trustedBuildKeys: |"; sed 's/^/    /' "$work/build.pub"; } >"$work/build-keys.yaml"
log "prime-numbers-wasm pushed as $prime_wasm with its signed precompiled layer"
prometheus=$("$repo/hack/prometheus/build.sh") || die "hack/prometheus/build.sh"
"$work/image" -kind binary -bin "$prometheus" -ref "$reg/chart-e2e/prometheus:$tag" >/dev/null
log "Prometheus $PROMETHEUS_VERSION (built from source, $prometheus) pushed as $reg/chart-e2e/prometheus:$tag"
nats=$("$repo/hack/nats/build.sh") || die "hack/nats/build.sh"
"$work/image" -kind binary -bin "$nats" -ref "$reg/chart-e2e/nats:$tag" >/dev/null
log "nats-server $NATS_VERSION (built from source, $nats) pushed as $reg/chart-e2e/nats:$tag"

# The NATS store: a hostPath PersistentVolume the chart's claim binds (class chart-e2e-local),
# owned by the NATS container's user. Retain: deleted by the cleanup with the directory.
mkdir -p "$work/nats-store" && chown 65532:65532 "$work/nats-store"
"$kubectl" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: PersistentVolume
metadata: {name: $nats_pv}
spec:
  storageClassName: chart-e2e-local
  capacity: {storage: 1Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  claimRef: {namespace: $ns, name: chart-e2e-faas-wasm-nats}
  hostPath: {path: $work/nats-store, type: Directory}
YAML

log "rendering the chart (gateway disabled) and applying it"
(cd "$here" && go run ./cmd/render -chart ../../chart -name chart-e2e -namespace "$ns" -f "$work/build-keys.yaml" \
	--set gateway.enabled=false \
	--set nats.image="$reg/chart-e2e/nats:$tag" \
	--set nats.clusterIP="$nats_ip" \
	--set nats.persistence.enabled=true \
	--set nats.persistence.storageClass=chart-e2e-local \
	--set nats.persistence.size=1Gi \
	--set async.concurrency=2 \
	--set async.ackWait=10s \
	--set functionNamespace="$fns" \
	--set provider.image="$reg/chart-e2e/faas-wasm:$tag" \
	--set prometheus.image="$reg/chart-e2e/prometheus:$tag" \
	--set provider.logFormat=text \
	--set nodeInstaller.image="$reg/chart-e2e/node-installer:$tag" \
	--set nodeInstaller.containerdConfig= \
	--set nodeInstaller.dropIn="$dropin" \
	--set nodeInstaller.binDir="$bindir" \
	--set runtimeClass.name="$rcname" \
	--set nodeInstaller.restart=none) >"$work/manifest.yaml"
for node in $("$kubectl" get nodes -o name); do "$kubectl" label --overwrite "$node" faas-wasm/runtime=true >/dev/null; done
"$kubectl" create namespace "$ns" >/dev/null
"$kubectl" apply -f "$work/manifest.yaml" | sed 's/^/  /'

t1=$(date +%s)
"$kubectl" -n "$ns" rollout status daemonset/chart-e2e-faas-wasm-node-installer --timeout=180s >/dev/null || die "node installer not Ready"
log "node installer Ready in $(($(date +%s) - t1)) s"
for f in "${node_files[@]}"; do [[ -s $f ]] || die "$f not installed on the node"; done
cmp -s "$work/img/shim/faaswasm-runner" "$bindir/faaswasm-runner" || die "node runner differs from the image's"
grep -q 'runtime_type = "io.containerd.faaswasm.v1"' "$dropin" || die "runtime not registered"
if [[ $shared == 1 ]]; then
	log "installer copied the shim to $bindir and wrote $dropin (containerd not restarted: shared cluster)"
else
	"$repo/hack/cluster/up.sh" >"$work/up2.log" 2>&1 || { cat "$work/up2.log"; die "up.sh (containerd restart)"; }
	# up.sh puts its own RuntimeClasses back: make the chart's the only one again.
	"$kubectl" delete runtimeclass --all >/dev/null
	"$kubectl" apply -f "$work/manifest.yaml" >/dev/null
	log "containerd restarted with the installer's runtime table"
fi

"$kubectl" -n "$ns" rollout status deployment/chart-e2e-faas-wasm --timeout=180s >/dev/null || die "provider not Ready"
log "provider Ready in $(($(date +%s) - t1)) s since apply"
handler=$("$kubectl" get runtimeclass "$rcname" -o jsonpath='{.handler}/{.scheduling.nodeSelector}')
[[ $handler == 'faaswasm/{"faas-wasm/runtime":"true"}' ]] || die "RuntimeClass: $handler"

ip=$("$kubectl" -n "$ns" get pod -l app.kubernetes.io/component=provider -o jsonpath='{.items[0].status.podIP}')
pass=$("$kubectl" -n "$ns" get secret basic-auth -o jsonpath='{.data.basic-auth-password}' | base64 -d)
api=http://$ip:8081
code=$(curl -s -o /dev/null -w '%{http_code}' "$api/system/functions?namespace=$fns")
[[ $code == 401 ]] || die "GET /system/functions without credentials: $code, want 401"
curl -fsS -u "admin:$pass" "$api/system/info" >/dev/null || die "/system/info with the chart's credentials"
log "provider API at $api answers; basic auth from the chart's Secret"

deploy() { # name image runtime
	curl -fsS -u "admin:$pass" -X POST "$api/system/functions" -H 'Content-Type: application/json' -d @- <<JSON
{"service":"$1","image":"$2","namespace":"$fns","annotations":{"com.openfaas.runtime":"$3"},"labels":{"com.openfaas.scale.min":"1"}}
JSON
}
t2=$(date +%s)
deploy prime-wasm "$prime_wasm" wasm || die "deploy Wasm function"
deploy prime-native "$reg/chart-e2e/prime-native:$tag" container || die "deploy container function"
declare -A answer
for f in prime-wasm prime-native; do
	for _ in $(seq 240); do
		out=$(curl -s -m 10 -w '\n%{http_code}' "$api/function/$f.$fns?n=50" || true)
		[[ ${out##*$'\n'} == 200 ]] && break
		sleep 1
	done
	[[ ${out##*$'\n'} == 200 ]] || die "$f: ${out}"
	answer[$f]=${out%$'\n'*}
	log "$f answers 200 through the in-cluster provider ($(($(date +%s) - t2)) s after deploy): ${answer[$f]:0:80}"
done
[[ ${answer[prime-wasm]} == "${answer[prime-native]}" ]] || die "Wasm and container answers differ"
rc=$("$kubectl" -n "$fns" get pod -l faas_function=prime-wasm -o jsonpath='{.items[0].spec.runtimeClassName}')
[[ $rc == "$rcname" ]] || die "Wasm pod runtimeClassName '$rc', want $rcname"
rt=$("$kubectl" -n "$fns" get pod -l faas_function=prime-native -o jsonpath='{.items[0].spec.runtimeClassName}')
[[ -z $rt ]] || die "container pod has runtimeClassName $rt"
log "Wasm pod runs with the chart's RuntimeClass $rcname (shim), container pod with the default runtime; same answer"
# The node installer wrote the key for the node's shim, which installs the layer instead of
# compiling when the node's module cache lacks the module (an earlier test may have put it there).
# (The in-cluster provider cannot pull from this loopback registry — only the node's containerd
# can — so it serves no call itself here and its own use of the key is tested elsewhere:
# TestColdServeSignedPrecompiled.)
cmp -s /etc/faas-wasm/trusted-build-keys.pem "$work/build.pub" ||
	die "the node installer did not write provider.trustedBuildKeys to /etc/faas-wasm/trusted-build-keys.pem"
prepared=$("$kubectl" -n "$fns" logs -l faas_function=prime-wasm --tail=-1 | grep 'msg="module ready"' || true)
if [[ -n $prepared ]]; then
	[[ $prepared == *'from="signed precompiled layer"'* ]] ||
		die "the node's shim compiled prime-numbers-wasm instead of installing its signed precompiled layer: $prepared"
	log "the node's shim installed the signed precompiled layer: $prepared"
else
	log "the node's module cache already held prime-numbers-wasm (no install to check)"
fi

# Prometheus: the gateway's env (rendered with the gateway enabled) names the chart's Prometheus
# Service; that Service answers the exact request the gateway sends for its function list with
# the invocation counts the provider reports, scraped from the provider's /metrics.
"$kubectl" -n "$ns" rollout status deployment/chart-e2e-faas-wasm-prometheus --timeout=180s >/dev/null || die "Prometheus not Ready"
env=$(cd "$here" && go run ./cmd/render -chart ../../chart -name chart-e2e -namespace "$ns" -env gateway)
host=$(sed -n 's/^faas_prometheus_host=//p' <<<"$env") port=$(sed -n 's/^faas_prometheus_port=//p' <<<"$env")
svc=$("$kubectl" -n "$ns" get service "$host" -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}') ||
	die "the gateway's faas_prometheus_host $host is no Service of the release"
[[ ${svc##*:} == "$port" ]] || die "the gateway's faas_prometheus_port $port, Service $host listens on ${svc##*:}"
log "the gateway's faas_prometheus_host:port $host:$port is the chart's Prometheus Service ($svc)"
for f in prime-wasm prime-native; do
	for _ in $(seq 5); do curl -fsS -o /dev/null "$api/function/$f.$fns?n=20" || die "invoke $f"; done
done
want=
for f in prime-wasm prime-native; do
	n=$(curl -fsS -u "admin:$pass" "$api/system/function/$f?namespace=$fns" | grep -o '"invocationCount":[0-9.]*' | cut -d: -f2)
	((${n%.*} >= 6)) || die "$f: the provider reports invocationCount '$n' after at least 6 calls"
	want+=${want:+,}$f=$n
done
log "the provider reports invocation counts $want; asking Prometheus what the gateway asks"
if ! out=$(cd "$here" && go run ./cmd/promcheck -prometheus "$svc" -namespace "$fns" -want "$want" 2>&1); then
	echo "$out"
	die "Prometheus does not answer the gateway's query with the provider's counts"
fi
sed 's/^/  /' <<<"$out"

# Asynchronous invocations: results are posted from the provider pod, so the receiver listens on
# the node IP (the pods reach it); the provider is called through its Service, which outlives the
# provider pod the check deletes.
"$kubectl" -n "$ns" rollout status deployment/chart-e2e-faas-wasm-nats --timeout=60s >/dev/null || die "NATS not Ready"
[[ $("$kubectl" -n "$ns" get pvc chart-e2e-faas-wasm-nats -o jsonpath='{.status.phase}/{.spec.volumeName}') == "Bound/$nats_pv" ]] ||
	die "the NATS claim is not bound to $nats_pv"
node_ip=$("$kubectl" get nodes -o jsonpath='{.items[0].status.addresses[?(@.type=="InternalIP")].address}')
provider_svc=$("$kubectl" -n "$ns" get service chart-e2e-faas-wasm-provider -o jsonpath='{.spec.clusterIP}:{.spec.ports[0].port}')
log "async: NATS at $nats_ip:4222 (store: PersistentVolume $nats_pv), provider Service $provider_svc, callbacks to $node_ip"
(cd "$here" && go build -o "$work/asynccheck" ./cmd/asynccheck)
# replace-pod.sh COMPONENT DELETE-FLAGS...: deletes the release's COMPONENT pod and returns once a
# new pod of it is Ready (asynccheck then checks calls were still queued).
cat >"$work/replace-pod.sh" <<'SH'
set -eu
kubectl=$1 ns=$2 sel=app.kubernetes.io/component=$3
shift 3
old=" $("$kubectl" -n "$ns" get pod -l "$sel" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}')"
"$kubectl" -n "$ns" delete pod -l "$sel" --wait=false "$@" 2>/dev/null
for _ in $(seq 480); do
	for p in $("$kubectl" -n "$ns" get pod -l "$sel" -o jsonpath='{range .items[*]}{.metadata.name}={.status.containerStatuses[0].ready}{" "}{end}'); do
		case "$old" in *" ${p%=*} "*) continue ;; esac
		[ "${p#*=}" = true ] && echo "deleted$old, new pod ${p%=*} Ready" && exit 0
	done
	sleep 0.25
done
echo "deleted$old, no new Ready pod within 120 s" >&2
exit 1
SH
"$work/asynccheck" -provider "http://$provider_svc" -namespace "$fns" -functions prime-wasm,prime-native -query n=50 \
	-listen "$node_ip:0" -calls 100 -callback-delay 100ms \
	-disrupt "provider pod deleted=sh $work/replace-pod.sh $kubectl $ns provider --grace-period=0 --force" \
	-disrupt "NATS pod deleted=sh $work/replace-pod.sh $kubectl $ns nats" >"$work/async.log" 2>&1 ||
	{ sed 's/^/  /' "$work/async.log"; die "asynchronous invocations"; }
sed 's/^/  /' "$work/async.log"
log "PASS in $(($(date +%s) - t0)) s"
