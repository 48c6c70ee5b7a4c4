package autoscale_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/faas-wasm/faas-wasm/internal/backend/local"
	"github.com/faas-wasm/faas-wasm/internal/backend/local/containers"
	"github.com/faas-wasm/faas-wasm/internal/metrics"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
	"github.com/faas-wasm/faas-wasm/provider"
)

// hostContainerd is the socket `make test` starts containerd on.
const hostContainerd = "/run/containerd/containerd.sock"

// figure is what one kind of function measured in the load test.
type figure struct {
	up, down       time.Duration // 1→max under load; max→min after it
	toZero         time.Duration // last call → zero replicas (zero-duration 1s)
	wake, wakeCall time.Duration // scale from zero alone; the whole waking call
	nextCall       time.Duration // the call after it, on the woken replica
	calls          int64
	rig            *rig
}

// TestAutoscaleUnderLoad drives a Wasm function and, when the host's
// containerd answers, a container function through the real router, local
// backend, metrics and autoscaler: under load the replicas rise to max,
// after it they fall back to min within the cool-down, an idle function
// reaches zero and wakes on the next call, and /metrics (parsed with the
// Prometheus text parser) counts exactly the calls made.
func TestAutoscaleUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	dir := tempDir(t)
	module := buildGuest(t, "slow", filepath.Join(dir, "slow.wasm"), "GOOS=wasip1", "GOARCH=wasm")
	reg := ocitest.NewRegistry(t)
	img, err := oci.WasmImage(module, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oci.Push(context.Background(), img, reg+"/fn/slow:1"); err != nil {
		t.Fatal(err)
	}
	figures := map[string]figure{}

	t.Run("wasm", func(t *testing.T) {
		m := metrics.New(metrics.WithProcessMetrics(false))
		figures["wasm"] = exercise(t, newRig(t, newEngine(t, dir, m), m), reg+"/fn/slow:1", 30*time.Second)
		// A second engine on the same cache, as after a restart, loads the
		// module from the cache.
		restarted := newEngine(t, dir, m)
		if _, err := restarted.Compile(context.Background(), module); err != nil {
			t.Fatal(err)
		}
		fams := scrape(t, figures["wasm"].rig)
		if v, _ := value(fams, "faaswasm_wasm_module_cache_total", map[string]string{"result": "miss"}); v != 1 {
			t.Errorf("module cache misses %v, want 1 (the module compiled once for both functions)", v)
		}
		if v, _ := value(fams, "faaswasm_wasm_module_cache_total", map[string]string{"result": "hit"}); v != 1 {
			t.Errorf("module cache hits %v, want 1 (the restarted engine)", v)
		}
		ok := map[string]string{"function_name": "slow." + provider.DefaultNamespace, "outcome": wasm.OutcomeOK}
		if v, _ := value(fams, "faaswasm_wasm_guest_calls_total", ok); v != float64(figures["wasm"].calls) {
			t.Errorf("guest calls ok %v, want %d as counted by the router", v, figures["wasm"].calls)
		}
	})
	t.Run("container", func(t *testing.T) {
		connect := hostContainers(t, dir)
		bin := filepath.Join(dir, "slowweb")
		ctr, err := oci.ContainerImage(buildGuest(t, "slowweb", bin, "CGO_ENABLED=0"), oci.ContainerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oci.Push(context.Background(), ctr, reg+"/fn/slowweb:1"); err != nil {
			t.Fatal(err)
		}
		m := metrics.New(metrics.WithProcessMetrics(false))
		engine := newEngine(t, dir, m)
		figures["container"] = exercise(t, newRig(t, engine, m, local.WithContainers(connect)), reg+"/fn/slowweb:1", 90*time.Second)
	})

	w, okW := figures["wasm"]
	c, okC := figures["container"]
	for _, k := range []string{"wasm", "container"} {
		if f, ok := figures[k]; ok {
			t.Logf("%-9s 1→%d under load %8v | back to min %8v (cool-down %v) | idle→0 %8v (zero-duration 1s) | scale from zero %8v, waking call %8v, next call %8v (handler sleeps 30ms) | %d calls",
				k, rigMax, f.up.Round(time.Millisecond), f.down.Round(time.Millisecond), rigCooldown,
				f.toZero.Round(time.Millisecond), f.wake.Round(time.Microsecond), f.wakeCall.Round(time.Microsecond), f.nextCall.Round(time.Microsecond), f.calls)
		}
	}
	if okW && okC {
		t.Logf("container/wasm ratios: scale 1→%d %.1f×, scale from zero %.1f×, waking call %.1f×",
			rigMax, float64(c.up)/float64(w.up), float64(c.wake)/float64(w.wake), float64(c.wakeCall)/float64(w.wakeCall))
	}
}

// hostContainers returns a connector to the host's containerd with a
// bridge network of the test's own, or skips when containerd does not answer.
func hostContainers(t *testing.T, dir string) local.ConnectContainers {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Missing(t, "container functions need root")
	}
	conn, err := net.DialTimeout("unix", hostContainerd, time.Second)
	if err != nil {
		testenv.Missingf(t, "containerd does not answer on %s (make test starts it): %v", hostContainerd, err)
	}
	conn.Close()
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		testenv.Missing(t, "CNI plugins not installed")
	}
	bridge := fmt.Sprintf("fwa%d", os.Getpid()%1000000)
	t.Cleanup(func() { exec.Command("ip", "link", "del", bridge).Run() })
	network := containers.Network{Name: "fwa-" + bridge, Bridge: bridge, Subnet: freeSubnet(t),
		IPAMDir: filepath.Join(dir, "ipam"), NoIPMasq: true}
	return func(ctx context.Context, sink containers.LogSink) (*containers.Manager, error) {
		return containers.New(ctx, hostContainerd, containers.WithNamespace("faas-wasm-autoscale-test"),
			containers.WithStateDir(filepath.Join(dir, "manager")), containers.WithNetwork(network),
			containers.WithLogSink(sink), containers.WithLogger(quiet()))
	}
}

// exercise deploys image twice (a loaded function and an idle one) and
// runs the scale cycle on them; limit bounds each wait for replicas.
func exercise(t *testing.T, r *rig, image string, limit time.Duration) figure {
	ctx := context.Background()
	f := figure{rig: r}
	for _, fn := range []struct {
		name   string
		labels map[string]string
	}{
		{"slow", map[string]string{provider.LabelScaleType: provider.ScaleTypeCapacity, provider.LabelScaleTarget: "2",
			provider.LabelScaleMin: "1", provider.LabelScaleMax: fmt.Sprint(rigMax)}},
		{"idle", map[string]string{provider.LabelScaleZero: "true", provider.LabelScaleZeroDuration: "1s"}},
	} {
		name := fn.name
		err := r.mb.Deploy(ctx, provider.FunctionDeployment{Service: name, Image: image, Labels: fn.labels})
		if errors.Is(err, provider.ErrNotImplemented) {
			testenv.Missingf(t, "runtime not available: %v", err)
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.b.Delete(context.Background(), name, "") })
	}
	// The idle function may already be back at zero: only slow must be ready.
	ready := waitFor(t, "first replica ready", limit, func() bool { return r.status(t, "slow").AvailableReplicas == 1 })
	t.Logf("deployed and ready in %v", ready)
	if code := r.call(t, "slow"); code != http.StatusOK {
		t.Fatalf("first call: %d", code)
	}

	stop := make(chan struct{})
	ok, failed, wait := r.load("slow", stop)
	f.up = waitFor(t, fmt.Sprintf("scale 1→%d under load", rigMax), limit, func() bool {
		st := r.status(t, "slow")
		return st.Replicas == rigMax && st.AvailableReplicas == rigMax
	})
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wait()
	// Scaling down must wait for the cool-down; how soon after it the
	// replicas are gone depends on the machine (stopping containers), so
	// the upper bound is only waitFor's limit, and the time is reported.
	f.down = waitFor(t, "back to min after the load", rigCooldown+5*time.Second, func() bool {
		return r.status(t, "slow").Replicas == 1
	})
	if f.down < rigCooldown-2*rigInterval {
		t.Errorf("back to min %v after the load ended, before the cool-down %v", f.down, rigCooldown)
	}
	f.calls = ok.Load() + 1
	if failed.Load() > 0 {
		t.Errorf("%d calls failed under load (%d succeeded)", failed.Load(), ok.Load())
	}

	f.toZero = waitFor(t, "idle function at zero", 5*time.Second, func() bool { return r.status(t, "idle").Replicas == 0 })
	time.Sleep(3 * rigInterval)
	if st := r.status(t, "idle"); st.Replicas != 0 {
		t.Fatalf("idle function came back to %d replicas without a call", st.Replicas)
	}
	start := time.Now()
	if code := r.call(t, "idle"); code != http.StatusOK {
		t.Fatalf("call waking the idle function: %d", code)
	}
	f.wakeCall = time.Since(start)
	if st := r.status(t, "idle"); st.Replicas != 1 {
		t.Fatalf("after the wake-up the idle function has %d replicas", st.Replicas)
	}
	start = time.Now()
	if code := r.call(t, "idle"); code != http.StatusOK {
		t.Fatalf("second call after the wake-up: %d", code)
	}
	f.nextCall = time.Since(start)
	woke := time.Now()
	waitFor(t, "idle function back at zero", 5*time.Second, func() bool { return r.status(t, "idle").Replicas == 0 })
	f.toZero = time.Since(woke)

	fams := scrape(t, r)
	checkMetrics(t, r, fams, f.calls, failed.Load())
	for _, m := range fams["faaswasm_scale_from_zero_seconds"].GetMetric() {
		f.wake = time.Duration(m.GetHistogram().GetSampleSum() * float64(time.Second))
	}
	return f
}

// scrape GETs /metrics and parses it with the Prometheus text parser.
func scrape(t *testing.T, r *rig) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(r.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// checkMetrics scrapes /metrics and checks names, labels and values.
func checkMetrics(t *testing.T, r *rig, fams map[string]*dto.MetricFamily, ok, failed int64) {
	t.Helper()
	slow, idle := "slow."+provider.DefaultNamespace, "idle."+provider.DefaultNamespace
	for _, c := range []struct {
		family string
		labels map[string]string
		want   func(float64) bool
		desc   string
	}{
		{"gateway_function_invocation_total", map[string]string{"function_name": slow, "code": "200"}, eq(ok), fmt.Sprint(ok)},
		{"gateway_function_invocation_started", map[string]string{"function_name": slow}, eq(ok + failed), fmt.Sprint(ok + failed)},
		{"gateway_function_invocation_inflight", map[string]string{"function_name": slow}, eq(0), "0"},
		{"gateway_functions_seconds", map[string]string{"function_name": slow, "code": "200"}, eq(ok), fmt.Sprint(ok, " samples")},
		{"gateway_service_count", map[string]string{"function_name": slow}, eq(1), "1"},
		{"faaswasm_service_available_replicas", map[string]string{"function_name": idle}, eq(0), "0"},
		{"faaswasm_scale_seconds", map[string]string{"function_name": slow, "direction": "up"}, atLeast(1), "≥1 samples"},
		{"faaswasm_scale_seconds", map[string]string{"function_name": slow, "direction": "down"}, atLeast(1), "≥1 samples"},
		{"faaswasm_scale_from_zero_seconds", map[string]string{"function_name": idle, "outcome": "ready"}, eq(1), "1 sample"},
		{"gateway_function_invocation_total", map[string]string{"function_name": idle, "code": "200"}, eq(2), "2"},
	} {
		got, found := value(fams, c.family, c.labels)
		if !found || !c.want(got) {
			t.Errorf("%s%v = %v (found %v), want %s", c.family, c.labels, got, found, c.desc)
		}
	}
	if st := r.status(t, "slow"); st.InvocationCount != float64(ok) {
		t.Errorf("status invocationCount %v, want %d as in the counter", st.InvocationCount, ok)
	}
}

func eq(n int64) func(float64) bool      { return func(v float64) bool { return v == float64(n) } }
func atLeast(n int64) func(float64) bool { return func(v float64) bool { return v >= float64(n) } }

// value is the value of the sample of family with all of labels (the
// sample count for histograms).
func value(fams map[string]*dto.MetricFamily, family string, labels map[string]string) (float64, bool) {
next:
	for _, m := range fams[family].GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range labels {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue(), true
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue(), true
		case m.GetHistogram() != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}
