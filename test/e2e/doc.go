// Package e2e holds the Kubernetes end-to-end tests of faas-wasm. They run
// only with the build tag e2e and FAAS_WASM_KUBECONFIG naming the admin
// kubeconfig of a real cluster (hack/cluster/up.sh writes one):
//
//	FAAS_WASM_KUBECONFIG=/var/lib/faas-wasm-cluster/admin.kubeconfig \
//	  go test -tags e2e -count=1 -v ./test/e2e/
//
// They build function images from source, push them to a loopback registry
// the cluster's containerd pulls from over plain HTTP, serve the provider
// API in-process over loopback HTTP with the Kubernetes backend, and drive
// it the way faas-cli and the gateway do.
package e2e
