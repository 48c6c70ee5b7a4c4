//go:build e2e

package e2e

import (
	"context"
	"os"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesLoad sends 10,000 calls at concurrency 50 through the real
// provider binary's /function/ to a Wasm function (no runtime annotation:
// the backend must inspect the image and give the pods the faas-wasm
// RuntimeClass) and to its container twin, 2 replicas each. Every call
// must answer 200 with the reference answer, and the provider's RSS must
// not grow by more than 100 MiB over the 20,000 calls (no leak).
func TestKubernetesLoad(t *testing.T) {
	if os.Getenv("FAAS_WASM_E2E_WASM") != "1" {
		t.Skip("FAAS_WASM_E2E_WASM=1 is not set (needs the Wasm shim in the cluster: hack/shim/cluster.sh)")
	}
	const (
		calls       = 10000
		concurrency = 50
		rssBound    = 100 << 20
		query       = "?n=1000"
	)
	c := newCluster(t, testNamespace("load"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	tag := time.Now().Format("150405.000")
	wasmImage := c.pushFunction(ctx, t, "prime-numbers-wasm", tag)
	containerImage := c.pushFunction(ctx, t, "prime-numbers", tag)
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()

	fns := []fw.FunctionDeployment{
		{Service: "load-wasm", Image: wasmImage, Limits: &fw.FunctionResources{Memory: "128Mi"}},
		{Service: "load-container", Image: containerImage},
	}
	want := map[string]string{}
	for _, fn := range fns {
		want[fn.Service] = deployReady(ctx, t, c, api, fn, 2, query)
	}
	if want["load-wasm"] != want["load-container"] {
		t.Fatalf("answers differ:\nwasm:      %.200q\ncontainer: %.200q", want["load-wasm"], want["load-container"])
	}
	d, err := c.admin.AppsV1().Deployments(c.namespace).Get(ctx, "load-wasm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rc := d.Spec.Template.Spec.RuntimeClassName; rc == nil || *rc != "faas-wasm" {
		t.Fatalf("load-wasm runtimeClassName = %v, want faas-wasm", rc)
	}
	// Warm both functions and the provider's connection pools first.
	for _, fn := range fns {
		res := fixedLoad(concurrency, 500, api.url+"/function/"+fn.Service+query, want[fn.Service])
		if n, first := res.errs(time.Time{}, time.Time{}); n != 0 {
			t.Fatalf("warm-up of %s: %v: %v", fn.Service, res, first)
		}
	}
	for _, fn := range fns {
		before := p.rssBytes(t)
		res := fixedLoad(concurrency, calls, api.url+"/function/"+fn.Service+query, want[fn.Service])
		after := p.rssBytes(t)
		t.Logf("BENCH kubernetes load %s (%d replicas, c=%d, GET %s): %v; provider RSS before %.1f MiB, after %.1f MiB",
			fn.Service, 2, concurrency, query, res, mib(before), mib(after))
		if n, first := res.errs(time.Time{}, time.Time{}); n != 0 || len(res.calls) != calls {
			t.Errorf("%s: %d errors in %d calls (want 0 in %d): %v", fn.Service, n, len(res.calls), calls, first)
		}
		if after-before > rssBound {
			t.Errorf("%s: provider RSS grew by %.1f MiB (bound %.0f MiB): leak", fn.Service, mib(after-before), mib(rssBound))
		}
	}
}

// mib converts bytes to MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
