#!/usr/bin/env bash
# The Helm chart's checks (what `make chart-test` should run):
#   - gofmt, go vet and go test of the separate module test/chart/ (chart rendered with Helm's Go
#     library for default and other values, exact RBAC, RuntimeClass, DaemonSet, provider flags,
#     schema rejections, helm lint --strict equivalent, every value documented);
#   - go vet and go test of hack/ (the image tool and the node installer the chart's images are
#     built from — containerd 1.x and 2.x runtime tables —, and hack/hacktest: no stale path in
#     scripts and docs, the Kubernetes version defined once);
#   - with CLUSTER=1 also test/chart/cluster.sh: the chart on the real test cluster (root; starts
#     and always stops its own cluster, waits while someone else's is running).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=$(gofmt -l test/chart hack)
[[ -z $out ]] || { echo "gofmt needed:"; echo "$out"; exit 1; }
(cd test/chart && go vet ./... && go test -count=1 ./...)
go vet ./hack/... && go test -count=1 ./hack/...
if [[ ${CLUSTER:-0} == 1 ]]; then
	test/chart/cluster.sh
fi
