//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestWasmFunction deploys the study's prime-numbers function as Wasm
// beside its container twin through the provider: the Wasm one without a
// runtime annotation, so the backend must inspect the image, find it is
// Wasm and give the pod the faas-wasm RuntimeClass. Both must answer the
// same. It needs the Wasm shim in the cluster (hack/shim/cluster.sh), so it
// runs only with FAAS_WASM_E2E_WASM=1.
func TestWasmFunction(t *testing.T) {
	requireWasmShim(t)
	ns := fmt.Sprintf("faas-wasm-wasm-%d", time.Now().Unix()%100000)
	c := newCluster(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tag := fmt.Sprint(time.Now().UnixNano())
	wasmImage := c.pushFunction(ctx, t, "prime-numbers-wasm", tag)
	containerImage := c.pushFunction(ctx, t, "prime-numbers", tag)
	p := c.startProvider(t)

	answers := map[string]string{}
	for _, fn := range []fw.FunctionDeployment{
		{Service: "prime-wasm", Image: wasmImage, Limits: &fw.FunctionResources{Memory: "128Mi"}},
		{Service: "prime-container", Image: containerImage},
	} {
		start := time.Now()
		p.expect(t, 202, "POST", "/system/functions", fn)
		waitFor(t, 3*time.Minute, fn.Service+" answering 200", func() bool {
			code, _, body := p.call(t, "GET", "/function/"+fn.Service+"?n=1000", nil)
			answers[fn.Service] = body
			return code == 200
		})
		t.Logf("BENCH deploy -> first 200 of %s: %s", fn.Service, time.Since(start).Round(time.Millisecond))
	}
	d, err := c.admin.AppsV1().Deployments(ns).Get(ctx, "prime-wasm", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rc := d.Spec.Template.Spec.RuntimeClassName; rc == nil || *rc != "faas-wasm" {
		t.Errorf("runtimeClassName = %v, want faas-wasm", rc)
	}
	if d.Labels["faas-wasm/runtime"] != fw.RuntimeWasm {
		t.Errorf("runtime label = %q", d.Labels["faas-wasm/runtime"])
	}
	if answers["prime-wasm"] != answers["prime-container"] {
		t.Errorf("answers differ:\nwasm:      %.200q\ncontainer: %.200q", answers["prime-wasm"], answers["prime-container"])
	}
	p.expect(t, 202, "POST", "/system/scale-function/prime-wasm", fw.ScaleServiceRequest{ServiceName: "prime-wasm", Replicas: 0})
	waitFor(t, 2*time.Minute, "wasm pods gone", func() bool { return len(c.podAddrs(ctx, t, "prime-wasm")) == 0 })
	start := time.Now()
	p.expect(t, 200, "GET", "/function/prime-wasm?n=1000", nil)
	t.Logf("BENCH scale from zero -> 200 of prime-wasm: %s", time.Since(start).Round(time.Millisecond))
	if out := p.expect(t, 200, "GET", "/system/logs?name=prime-wasm", nil); out == "" {
		t.Error("no log lines from the Wasm pod")
	}
	for _, name := range []string{"prime-wasm", "prime-container"} {
		p.expect(t, 202, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: name})
	}
}
