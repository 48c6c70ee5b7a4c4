//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/backend/k8s"
	"github.com/faas-wasm/faas-wasm/internal/backend/local"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// servedCounter counts the calls the provider served itself, by function.
type servedCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *servedCounter) ColdCall(name, _, outcome string) {
	if outcome != "served" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[name]++
}

func (c *servedCounter) get(name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[name]
}

// TestKubernetesColdWasm proves that a Wasm function without a ready pod is
// served by the provider: its first call after the deploy answers 200
// before any pod is ready, calls move to the pods once one is, and a call
// after a scale to zero is answered at once while the pods come back. It
// measures, in one run and with medians of FAAS_WASM_E2E_COLD_N rounds
// (default 10), deploy → first 200 of the Wasm function whose image digest
// the provider has seen (module cached: no pull, no compile), of a Wasm
// image with a new module digest each round (pulled and compiled), and of
// the container twin; and scale from zero → 200 of the Wasm function and
// the container. Needs the Wasm shim (FAAS_WASM_E2E_WASM=1) for the pods.
func TestKubernetesColdWasm(t *testing.T) {
	requireWasmShim(t)
	rounds := 10
	if v := os.Getenv("FAAS_WASM_E2E_COLD_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("FAAS_WASM_E2E_COLD_N=%q: want a positive integer", v)
		}
		rounds = n
	}
	ns := fmt.Sprintf("faas-wasm-cold-%d", time.Now().Unix()%100000)
	c := newCluster(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tag := fmt.Sprint(time.Now().UnixNano())
	built := c.pushFunction(ctx, t, "prime-numbers-wasm", tag)
	containerImage := c.pushFunction(ctx, t, "prime-numbers", tag)
	pulled, err := oci.PullWasm(ctx, built)
	if err != nil {
		t.Fatal(err)
	}
	// newDigest pushes the module with a custom section naming the round.
	newDigest := func(i int) string {
		t.Helper()
		img, err := oci.WasmImage(ocitest.WithCustomSection(pulled.Module, "faas-wasm-e2e", fmt.Sprint(tag, "-", i)), pulled.Form)
		if err != nil {
			t.Fatal(err)
		}
		return c.push(ctx, t, img, "prime-numbers-wasm", fmt.Sprintf("%s-new%d", tag, i))
	}
	// The function's module must be new to the node as well as to the
	// provider: builds are reproducible and other tests deploy the same
	// prime-numbers-wasm, so the node's module cache may hold it already, and
	// its pod would then be Ready before the provider has compiled.
	wasmImage := newDigest(0)

	dir := t.TempDir()
	runner, err := local.NewWasmRunner(filepath.Join(dir, "cache"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Close(context.Background()) })
	served := &servedCounter{n: map[string]int{}}
	p := c.startProvider(t, k8s.WithColdServe(k8s.ColdServe{
		Runner: runner, Concurrency: 8, Memory: 1 << 30, DefaultMemory: wasm.DefaultMemoryLimit,
		Dir: filepath.Join(dir, "secrets"), Observer: served,
	}))

	// firstOK polls fast (5 ms) until the function answers 200.
	firstOK := func(name string) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			if code, _, _ := p.call(t, "GET", "/function/"+name+"?n=1000", nil); code == 200 {
				return time.Since(start)
			}
			if time.Since(start) > 3*time.Minute {
				t.Fatalf("%s: no 200 within 3m", name)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	deploy := func(name, image string) time.Duration {
		t.Helper()
		start := time.Now()
		p.expect(t, 202, "POST", "/system/functions", fw.FunctionDeployment{Service: name, Image: image,
			Limits: &fw.FunctionResources{Memory: "128Mi"}})
		firstOK(name)
		return time.Since(start)
	}
	podsReady := func(name string) {
		t.Helper()
		waitFor(t, 3*time.Minute, name+" pod ready", func() bool { return len(c.podAddrs(ctx, t, name)) > 0 })
	}
	scaleZero := func(name string) {
		t.Helper()
		p.expect(t, 202, "POST", "/system/scale-function/"+name, fw.ScaleServiceRequest{ServiceName: name, Replicas: 0})
		waitFor(t, 2*time.Minute, name+" pods gone", func() bool { return len(c.podAddrs(ctx, t, name)) == 0 })
	}

	// The first deploy compiles the module; its first 200 comes from the
	// provider, before the pod is ready — unless the node's shim has the
	// module cached from an earlier test and the pod is ready first, as
	// for a new digest below.
	compile := deploy("cold-0", wasmImage)
	switch n := served.get("cold-0"); {
	case n > 1 || n == 0 && len(c.podAddrs(ctx, t, "cold-0")) == 0:
		t.Fatalf("first call of cold-0 served by the provider %d times, want 1 (or 0 with a ready pod)", n)
	case n == 0:
		t.Logf("cold-0's first 200 came from its pod, ready before the provider had compiled the module")
	}
	if n := len(c.podAddrs(ctx, t, "cold-0")); n != 0 {
		t.Logf("cold-0 already had %d ready pods after its first 200", n)
	}
	podsReady("cold-0")
	before := served.get("cold-0")
	for range 5 {
		p.expect(t, 200, "GET", "/function/cold-0?n=1000", nil)
	}
	if served.get("cold-0") != before {
		t.Fatalf("calls served by the provider after the pod was ready: %d, want 0", served.get("cold-0")-before)
	}
	scaleZero("cold-0")
	start := time.Now()
	p.expect(t, 200, "GET", "/function/cold-0?n=1000", nil)
	t.Logf("scale from zero -> 200 of cold-0 (served by the provider): %s", time.Since(start).Round(time.Microsecond))
	if served.get("cold-0") != before+1 {
		t.Fatal("call after scale to zero not served by the provider")
	}
	waitFor(t, 3*time.Minute, "cold-0 scaled back up with a ready pod", func() bool { return len(c.podAddrs(ctx, t, "cold-0")) > 0 })

	var wasmDeploy, newDeploy, containerDeploy, wasmWake, containerWake []time.Duration
	newServed := 0
	for i := 1; i <= rounds; i++ {
		w, ct, nw := fmt.Sprintf("cold-%d", i), fmt.Sprintf("ctr-%d", i), fmt.Sprintf("new-%d", i)
		wasmDeploy = append(wasmDeploy, deploy(w, wasmImage))
		if served.get(w) != 1 {
			t.Errorf("first call of %s served by the provider %d times, want 1", w, served.get(w))
		}
		newDeploy = append(newDeploy, deploy(nw, newDigest(i)))
		newServed += min(served.get(nw), 1)
		p.expect(t, 202, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: nw})
		containerDeploy = append(containerDeploy, deploy(ct, containerImage))
		podsReady(w)
		podsReady(ct)
		for _, fn := range []string{w, ct} {
			scaleZero(fn)
			start := time.Now()
			p.expect(t, 200, "GET", "/function/"+fn+"?n=1000", nil)
			if fn == w {
				wasmWake = append(wasmWake, time.Since(start))
			} else {
				containerWake = append(containerWake, time.Since(start))
			}
		}
		for _, fn := range []string{w, ct} {
			p.expect(t, 202, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: fn})
		}
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	t.Logf("BENCH cold Wasm (%d rounds, medians): deploy -> first 200: wasm (module cached) %s, wasm (new digest: pull + compile) %s (first 200 from the provider in %d of %d), container %s; first deploy (compile) %s; scale from zero -> 200: wasm %s, container %s",
		rounds, ms(medianOf(wasmDeploy)), ms(medianOf(newDeploy)), newServed, rounds, ms(medianOf(containerDeploy)), ms(compile), ms(medianOf(wasmWake)), ms(medianOf(containerWake)))
	t.Logf("BENCH raw: wasm deploy %v; new-digest deploy %v; container deploy %v; wasm wake %v; container wake %v", wasmDeploy, newDeploy, containerDeploy, wasmWake, containerWake)
	p.expect(t, 202, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: "cold-0"})
}
