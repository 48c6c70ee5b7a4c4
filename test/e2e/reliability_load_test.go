//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/procmem"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesLoad sends 10,000 calls at concurrency 50 through the real
// provider binary's /function/ to each of three Wasm functions (no runtime
// annotation: the backend must inspect the image and give the pods the
// faas-wasm RuntimeClass) — the study's prime-numbers in Go (a snapshot),
// in Rust (a command module) and in Rust built as a reactor and deployed in
// warm mode (instances reused between calls, as a container's process is;
// its runners must say so) — and to their container twins, 2 replicas
// each. Every call must answer 200 with the reference answer, and
// the provider's RSS must not grow by more than 100 MiB over a function's
// calls (no leak). It logs each pair's Wasm/container throughput ratio and
// the CPU time per call of each function's pods and of the provider: when
// the node's cores are all busy, the pods' CPU per call is what sets the
// throughput ratio; when they are not, the ratio also shows latency.
func TestKubernetesLoad(t *testing.T) {
	requireWasmShim(t)
	const (
		calls       = 10000
		concurrency = 50
		rssBound    = 100 << 20
		query       = "?n=1000"
	)
	c := newCluster(t, testNamespace("load"))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tag := time.Now().Format("150405.000")
	pairs := []struct{ lang, wasm, container string }{
		{"go", "load-wasm", "load-container"},
		{"go warm", "load-warm", "load-container"},
		{"rust", "load-rs-wasm", "load-rs-container"},
		{"rust warm", "load-rs-warm", "load-rs-container"},
	}
	reactor := c.stackEntry(t, "prime-numbers-rs-wasm").WithAnnotation(builder.ShapeAnnotation, string(builder.ShapeReactor))
	images := map[string]string{
		"load-wasm":         c.pushFunction(ctx, t, "prime-numbers-wasm", tag),
		"load-container":    c.pushFunction(ctx, t, "prime-numbers", tag),
		"load-rs-wasm":      c.pushFunction(ctx, t, "prime-numbers-rs-wasm", tag),
		"load-rs-container": c.pushFunction(ctx, t, "prime-numbers-rs", tag),
		"load-rs-warm":      c.pushBuilt(ctx, t, "prime-numbers-rs-reactor", tag, reactor),
	}
	images["load-warm"] = images["load-wasm"]
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()

	want := map[string]string{}
	for _, pair := range pairs {
		for _, name := range []string{pair.wasm, pair.container} {
			if want[name] != "" {
				continue // a container shared by two pairs
			}
			fn := fw.FunctionDeployment{Service: name, Image: images[name]}
			if name == pair.wasm {
				fn.Limits = &fw.FunctionResources{Memory: "128Mi"}
			}
			if name == "load-warm" || name == "load-rs-warm" {
				fn.Annotations = map[string]string{fw.AnnotationWasmMode: "warm"}
			}
			want[name] = deployReady(ctx, t, c, api, fn, 2, query)
		}
		if want[pair.wasm] != want[pair.container] {
			t.Fatalf("%s answers differ:\nwasm:      %.200q\ncontainer: %.200q", pair.lang, want[pair.wasm], want[pair.container])
		}
		d, err := c.admin.AppsV1().Deployments(c.namespace).Get(ctx, pair.wasm, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rc := d.Spec.Template.Spec.RuntimeClassName; rc == nil || *rc != "faas-wasm" {
			t.Fatalf("%s runtimeClassName = %v, want faas-wasm", pair.wasm, rc)
		}
	}
	for name, shape := range map[string]string{"load-warm": "snapshot", "load-rs-warm": "reactor"} {
		waitRunnerLogs(ctx, t, c, name, "shape="+shape+" mode=warm")
	}
	rate := map[string]float64{}
	podCPU := map[string]time.Duration{} // per call
	for _, pair := range pairs {
		for _, name := range []string{pair.wasm, pair.container} {
			if rate[name] != 0 {
				continue // measured for an earlier pair
			}
			url := api.url + "/function/" + name + query
			// Warm the function and the provider's connection pool first.
			res := fixedLoad(concurrency, 500, url, want[name])
			if n, first := res.errs(time.Time{}, time.Time{}); n != 0 {
				t.Fatalf("warm-up of %s: %v: %v", name, res, first)
			}
			pods := c.functionPIDs(ctx, t, name)
			before, podsBefore, provBefore := p.rssBytes(t), cpuTime(pods), cpuTime([]int{p.pid()})
			res = fixedLoad(concurrency, calls, url, want[name])
			after, podsUsed, provUsed := p.rssBytes(t), cpuTime(pods)-podsBefore, cpuTime([]int{p.pid()})-provBefore
			rate[name] = float64(len(res.calls)) / res.elapsed.Seconds()
			podCPU[name] = podsUsed / time.Duration(len(res.calls))
			t.Logf("BENCH kubernetes load %s (%d replicas, c=%d, GET %s): %v; CPU per call: pods %v, provider %v; provider RSS before %.1f MiB, after %.1f MiB",
				name, 2, concurrency, query, res, podCPU[name], provUsed/time.Duration(len(res.calls)), mib(before), mib(after))
			if n, first := res.errs(time.Time{}, time.Time{}); n != 0 || len(res.calls) != calls {
				t.Errorf("%s: %d errors in %d calls (want 0 in %d): %v", name, n, len(res.calls), calls, first)
			}
			if after-before > rssBound {
				t.Errorf("%s: provider RSS grew by %.1f MiB (bound %.0f MiB): leak", name, mib(after-before), mib(rssBound))
			}
		}
		t.Logf("BENCH kubernetes load %s: Wasm/container throughput %.2f, pods' CPU per call %.2f×",
			pair.lang, rate[pair.wasm]/rate[pair.container], float64(podCPU[pair.wasm])/float64(podCPU[pair.container]))
	}
}

// waitRunnerLogs waits until both pods' runners of a function logged line.
// A pod's log reaches the kubelet a moment after its runner wrote it.
func waitRunnerLogs(ctx context.Context, t *testing.T, c *cluster, name, line string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		logs := c.podLogs(ctx, t, name)
		if strings.Count(logs, line) == 2 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: want both pods' runners to log %q; logs:\n%s", name, line, logs)
		}
	}
}

// mib converts bytes to MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }

// functionPIDs lists the processes in the cgroups of function name's pods
// on the node, which is this host: pause and the runner or the container's
// processes (not the shims, which serve no calls).
func (c *cluster) functionPIDs(ctx context.Context, t *testing.T, name string) []int {
	t.Helper()
	var pids []int
	for _, pod := range c.functionPods(ctx, t, name) {
		p, err := procmem.PodPIDs(string(pod.UID))
		if err != nil {
			t.Fatalf("%s: %v", pod.Name, err)
		}
		pids = append(pids, p...)
	}
	return pids
}

// cpuTime is the CPU time the processes have used so far; a process that
// is gone counts nothing.
func cpuTime(pids []int) time.Duration {
	var sum time.Duration
	for _, pid := range pids {
		if d, err := procmem.CPUTime(pid); err == nil {
			sum += d
		}
	}
	return sum
}
