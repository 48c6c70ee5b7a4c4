//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"time"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// Settings of the autoscaling proofs, short enough for make e2e.
const (
	asInterval = time.Second      // --autoscale-interval
	asCooldown = 15 * time.Second // --scale-down-cooldown
	asMax      = 4                // com.openfaas.scale.max under load
	// The load: closed-loop callers against a capacity target of 1 call
	// in flight per replica, so the measured load (about asWorkers) is
	// twice max whatever the machine's speed.
	asWorkers   = 8
	asLoadLimit = 60 * time.Second
	asQuery     = "?n=20000"
	asRounds    = 3
	// zeroAfter is com.openfaas.scale.zero-duration in the scale-to-zero test.
	zeroAfter  = 5 * time.Second
	zeroRounds = 3
)

// kindFn is one kind of function a test deploys.
type kindFn struct {
	kind, name, image string
	limits            *fw.FunctionResources
}

// pushKinds builds and pushes the study's prime-numbers function as Wasm
// and as a container.
func (c *cluster) pushKinds(ctx context.Context, t *testing.T) (wasm, container kindFn) {
	t.Helper()
	tag := fmt.Sprint(time.Now().UnixNano())
	wasm = kindFn{kind: "wasm", name: "prime-wasm", image: c.pushFunction(ctx, t, "prime-numbers-wasm", tag),
		limits: &fw.FunctionResources{Memory: "128Mi"}}
	container = kindFn{kind: "container", name: "prime-container", image: c.pushFunction(ctx, t, "prime-numbers", tag)}
	return wasm, container
}

// deployKinds creates the functions with their labels and waits until each
// answers 200 through /function/ (calls tallied by f).
func deployKinds(ctx context.Context, t *testing.T, p *binProvider, f *fnClient, fns []kindFn, labels []map[string]string) {
	t.Helper()
	start := time.Now()
	for i, fn := range fns {
		p.api().expect(t, 202, "POST", "/system/functions", fw.FunctionDeployment{
			Service: fn.name, Image: fn.image, Limits: fn.limits, Labels: maps.Clone(labels[i])})
	}
	for _, fn := range fns {
		if !pollUntil(3*time.Minute, func() bool {
			code, err := f.call(ctx, fn.name, "?n=1000")
			if err != nil {
				t.Fatal(err)
			}
			return code == 200
		}) {
			t.Fatalf("%s never answered 200", fn.name)
		}
		t.Logf("deploy -> first 200 of %s: %s", fn.name, time.Since(start).Round(time.Millisecond))
	}
}

// upFigure is what one kind measured under load.
type upFigure struct {
	decided, ready time.Duration // load start → max requested; → max available
	stopped        time.Time     // when the load was asked to stop
	down, gone     time.Duration // load stop → min requested; → one pod left
	calls, non200  int64
	rate           float64 // calls answered per second under load
}

// TestKubernetesAutoscale runs the real provider binary in kubernetes mode
// with a 1 s autoscaler and a 15 s cool-down. In each of three rounds a
// Wasm and a container function (scale.min=1, max=4, type capacity,
// target 1) each get a bounded load of 8 closed-loop callers, one after the
// other (alternating which goes first), until 4 replicas are available;
// then both must fall back to 1 within the cool-down and a margin, not
// before it. A third function of type cpu shows the fallback to capacity
// (the cluster has no metrics-server). /metrics and invocationCount must
// count every call once.
func TestKubernetesAutoscale(t *testing.T) {
	requireWasmShim(t)
	ns := fmt.Sprintf("faas-wasm-as-%d", time.Now().Unix()%100000)
	c := newCluster(t, ns)
	ctx := withTimeout(t, 10*time.Minute)
	wasm, container := c.pushKinds(ctx, t)
	cpu := kindFn{kind: "container, type cpu", name: "prime-cpu", image: container.image}
	p := c.startBinary(t, "--autoscale-interval", asInterval.String(), "--scale-down-cooldown", asCooldown.String(),
		"--scale-from-zero-timeout", "90s")
	f := newFnClient(p.url)
	t.Cleanup(f.close)
	capacity := map[string]string{fw.LabelScaleMin: "1", fw.LabelScaleMax: fmt.Sprint(asMax),
		fw.LabelScaleType: fw.ScaleTypeCapacity, fw.LabelScaleTarget: "1"}
	cpuLabels := map[string]string{fw.LabelScaleMin: "1", fw.LabelScaleMax: "2",
		fw.LabelScaleType: fw.ScaleTypeCPU, fw.LabelScaleTarget: "1"}
	deployKinds(ctx, t, p, f, []kindFn{wasm, container, cpu}, []map[string]string{capacity, capacity, cpuLabels})

	figs := map[string][]*upFigure{}
	for round := range asRounds {
		order := []kindFn{wasm, container}
		if round%2 == 1 {
			order = []kindFn{container, wasm}
		}
		for _, fn := range order {
			figs[fn.kind] = append(figs[fn.kind], c.scaleUp(ctx, t, f, fn.name, asMax, asWorkers))
		}
		if round == 0 {
			c.cpuFallback(ctx, t, p, f, cpu.name)
		}
		c.scaleDown(ctx, t, map[string]*upFigure{wasm.name: figs[wasm.kind][round], container.name: figs[container.kind][round]})
		for _, fn := range order {
			g := figs[fn.kind][round]
			t.Logf("round %d: %-9s 1→%d requested %7v, available %7v | back to 1 requested %7v after the load, one pod left %7v | %d calls (%.0f/s)",
				round, fn.kind, asMax, g.decided.Round(time.Millisecond), g.ready.Round(time.Millisecond),
				g.down.Round(time.Millisecond), g.gone.Round(time.Millisecond), g.calls, g.rate)
		}
	}
	med := map[string]upFigure{}
	for _, fn := range []kindFn{wasm, container} {
		m := medianFigure(figs[fn.kind])
		med[fn.kind] = m
		t.Logf("BENCH k8s autoscale %-9s median of %d rounds: 1→%d requested %7v, %d available %7v | back to 1 requested %7v after the load, one pod left %7v (cool-down %v) | c%d answered %.0f calls/s",
			fn.kind, len(figs[fn.kind]), asMax, m.decided.Round(time.Millisecond), asMax, m.ready.Round(time.Millisecond),
			m.down.Round(time.Millisecond), m.gone.Round(time.Millisecond), asCooldown, asWorkers, m.rate)
	}
	w, k := med["wasm"], med["container"]
	t.Logf("BENCH k8s autoscale 1→%d available (median): wasm %v, container %v, container/wasm %.2f× (requested: %.2f×)",
		asMax, w.ready.Round(time.Millisecond), k.ready.Round(time.Millisecond), ratioOf(k.ready, w.ready), ratioOf(k.decided, w.decided))
	c.checkCounts(ctx, t, p, f, wasm.name, container.name, cpu.name)
}

// cpuFallback loads a function of type cpu, target 1, max 2 with 4 callers:
// without CPU usage figures (no metrics-server) it must scale on calls in
// flight, reach 2 and say so in the provider log.
func (c *cluster) cpuFallback(ctx context.Context, t *testing.T, p *binProvider, f *fnClient, fn string) {
	t.Helper()
	g := c.scaleUp(ctx, t, f, fn, 2, 4)
	if !p.logContains(t, "no CPU usage reported; scaling on capacity instead", "function="+fn) {
		t.Errorf("no log line of the cpu → capacity fallback for %s", fn)
	}
	t.Logf("%s: type cpu, no metrics-server: scaled 1→2 on calls in flight in %v (available %v)",
		fn, g.decided.Round(time.Millisecond), g.ready.Round(time.Millisecond))
}

// medianFigure is the field-by-field median of gs.
func medianFigure(gs []*upFigure) upFigure {
	var decided, ready, down, gone []time.Duration
	var rate []float64
	for _, g := range gs {
		decided, ready = append(decided, g.decided), append(ready, g.ready)
		down, gone = append(down, g.down), append(gone, g.gone)
		rate = append(rate, g.rate)
	}
	return upFigure{decided: medianOf(decided), ready: medianOf(ready), down: medianOf(down), gone: medianOf(gone), rate: medianOf(rate)}
}

// scaleUp loads fn with workers callers until want (its max) replicas are available
// (at most asLoadLimit), then stops the load. It fails the test when max
// is not reached, is exceeded, or a call fails.
func (c *cluster) scaleUp(ctx context.Context, t *testing.T, f *fnClient, fn string, want int32, workers int) *upFigure {
	t.Helper()
	g := &upFigure{}
	l := f.startLoad(fn, asQuery, workers, asLoadLimit)
	t.Cleanup(func() { l.stop() })
	var peak int32
	ok := pollUntil(asLoadLimit, func() bool {
		spec, avail, err := c.replicas(ctx, fn)
		if err != nil {
			return false
		}
		peak = max(peak, spec)
		if spec >= want && g.decided == 0 {
			g.decided = time.Since(l.start)
		}
		if avail >= want {
			g.ready = time.Since(l.start)
			return true
		}
		return false
	})
	stopped, err := l.stop()
	g.stopped, g.calls, g.non200 = stopped, l.calls.Load(), l.non200.Load()
	g.rate = float64(g.calls) / time.Since(l.start).Seconds()
	if err != nil {
		t.Fatalf("load on %s: %v", fn, err)
	}
	if !ok {
		t.Fatalf("%s: %d replicas not available within %v of load (requested peak %d)", fn, want, asLoadLimit, peak)
	}
	if peak > want {
		t.Errorf("%s: %d replicas requested, above com.openfaas.scale.max=%d", fn, peak, want)
	}
	if g.non200 > 0 {
		t.Errorf("%s: %d of %d calls under load did not answer 200", fn, g.non200, g.calls)
	}
	return g
}

// scaleDown waits for the loaded functions (by name) to fall back to 1
// replica after their loads stopped, watching all at once: not before the
// cool-down (less two autoscaler passes), and within the cool-down plus a
// margin for a busy machine; then for their other pods to go.
func (c *cluster) scaleDown(ctx context.Context, t *testing.T, figs map[string]*upFigure) {
	t.Helper()
	const margin = 45 * time.Second
	var last time.Time
	for _, g := range figs {
		last = later(last, g.stopped)
	}
	pollUntil(time.Until(last.Add(asCooldown+margin+time.Minute)), func() bool {
		done := true
		for fn, g := range figs {
			if g.gone > 0 {
				continue
			}
			done = false
			spec, avail, err := c.replicas(ctx, fn)
			if err != nil {
				continue
			}
			if spec == 1 && g.down == 0 {
				g.down = time.Since(g.stopped)
			}
			if g.down > 0 && avail == 1 && c.pods(ctx, fn) == 1 {
				g.gone = time.Since(g.stopped)
			}
		}
		return done
	})
	for fn, g := range figs {
		switch {
		case g.down == 0 || g.down > asCooldown+margin:
			t.Errorf("%s: not back to 1 replica within the cool-down %v + %v of the load's end (after %v)", fn, asCooldown, margin, g.down)
		case g.down < asCooldown-2*asInterval:
			t.Errorf("%s: back to 1 replica %v after the load, before the cool-down %v", fn, g.down, asCooldown)
		case g.gone == 0:
			t.Errorf("%s: the pods beyond the one replica did not go within 1 m", fn)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
}

// TestKubernetesScaleToZero runs the real provider binary in kubernetes mode
// with a Wasm and a container function labelled com.openfaas.scale.zero=true
// and zero-duration 5s: uncalled, each reaches 0 replicas with no pod left,
// and the next call through /function/ answers 200. It measures that wake
// latency (call sent → 200) over three rounds per kind, alternating which
// kind wakes first, and checks /metrics counted every call once.
func TestKubernetesScaleToZero(t *testing.T) {
	requireWasmShim(t)
	ns := fmt.Sprintf("faas-wasm-zero-%d", time.Now().Unix()%100000)
	c := newCluster(t, ns)
	ctx := withTimeout(t, 10*time.Minute)
	wasm, container := c.pushKinds(ctx, t)
	p := c.startBinary(t, "--autoscale-interval", asInterval.String(), "--scale-down-cooldown", asCooldown.String(),
		"--scale-from-zero-timeout", "90s")
	f := newFnClient(p.url)
	t.Cleanup(f.close)
	zero := map[string]string{fw.LabelScaleZero: "true", fw.LabelScaleZeroDuration: zeroAfter.String()}
	kinds := []kindFn{wasm, container}
	deployKinds(ctx, t, p, f, kinds, []map[string]string{zero, zero})

	lastCall := map[string]time.Time{wasm.name: time.Now(), container.name: time.Now()}
	wakes := map[string][]time.Duration{}
	for round := range zeroRounds {
		toZero, gone := map[string]time.Duration{}, map[string]time.Duration{}
		if !pollUntil(90*time.Second, func() bool {
			for _, fn := range kinds {
				if gone[fn.name] > 0 {
					continue
				}
				spec, _, err := c.replicas(ctx, fn.name)
				if err == nil && spec == 0 && toZero[fn.name] == 0 {
					toZero[fn.name] = time.Since(lastCall[fn.name])
				}
				if toZero[fn.name] > 0 && c.pods(ctx, fn.name) == 0 {
					gone[fn.name] = time.Since(lastCall[fn.name])
				}
			}
			return len(gone) == len(kinds)
		}) {
			t.Fatalf("round %d: not at 0 replicas with no pod within 90 s: %v to zero, %v without pods", round, toZero, gone)
		}
		for _, fn := range kinds {
			t.Logf("round %d: %s idle → 0 replicas %v, no pod left %v after its last call (zero-duration %v)",
				round, fn.name, toZero[fn.name].Round(time.Millisecond), gone[fn.name].Round(time.Millisecond), zeroAfter)
		}
		order := kinds
		if round%2 == 1 {
			order = []kindFn{container, wasm}
		}
		for _, fn := range order {
			start := time.Now()
			code, err := f.call(ctx, fn.name, "?n=1000")
			d := time.Since(start)
			lastCall[fn.name] = time.Now()
			if err != nil {
				t.Fatal(err)
			}
			if code != 200 {
				t.Fatalf("round %d: waking call to %s = %d after %v, want 200", round, fn.name, code, d)
			}
			wakes[fn.kind] = append(wakes[fn.kind], d)
			t.Logf("round %d: %s woke from zero: 200 after %v", round, fn.name, d.Round(time.Millisecond))
		}
	}
	for _, fn := range kinds {
		ds := wakes[fn.kind]
		t.Logf("BENCH k8s scale from zero %-9s median %v over %d rounds %v", fn.kind, medianOf(ds).Round(time.Millisecond), len(ds), ds)
	}
	w, k := medianOf(wakes["wasm"]), medianOf(wakes["container"])
	t.Logf("BENCH k8s scale from zero → 200 (median): wasm %v, container %v, container/wasm %.2f×",
		w.Round(time.Millisecond), k.Round(time.Millisecond), ratioOf(k, w))

	c.checkCounts(ctx, t, p, f, wasm.name, container.name)
	fams := scrapeMetrics(t, p.url)
	// A call to the container at zero waits for its pod; one to the Wasm
	// function is served by the provider without waiting (its pod starts
	// meanwhile), so it is counted as served, not as a wait.
	served := map[string]string{"function_name": wasm.name + "." + ns, "outcome": "served"}
	if n, _ := metricSample(fams, "faaswasm_provider_served_calls_total", served); n < zeroRounds {
		t.Errorf("faaswasm_provider_served_calls_total%v = %v, want at least %d", served, n, zeroRounds)
	}
	for _, fn := range kinds {
		key := map[string]string{"function_name": fn.name + "." + ns, "outcome": "ready"}
		// The first call after deploy may have waited for readiness too.
		lo, hi := float64(zeroRounds), float64(zeroRounds+1)
		if fn.name == wasm.name {
			lo = 0
		}
		if n, _ := metricSample(fams, "faaswasm_scale_from_zero_seconds", key); n < lo || n > hi {
			t.Errorf("faaswasm_scale_from_zero_seconds%v has %v samples, want %v to %v", key, n, lo, hi)
		}
		key["outcome"] = "failed"
		if n, _ := metricSample(fams, "faaswasm_scale_from_zero_seconds", key); n != 0 {
			t.Errorf("faaswasm_scale_from_zero_seconds%v has %v samples, want none", key, n)
		}
	}
}
