package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/faas-wasm/faas-wasm/provider"
)

// clock is a manual clock for the call timings.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// scrape GETs /metrics from a loopback server serving m and parses it with
// the Prometheus text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// sample finds the metric of family name whose labels include want; ok is
// false when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) (*dto.Metric, bool) {
	fam := fams[name]
	if fam == nil {
		return nil, false
	}
next:
	for _, m := range fam.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		return m, true
	}
	return nil, false
}

func TestInvocations(t *testing.T) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	m := New(WithClock(c.Now), WithProcessMetrics(false))
	// Two overlapping calls to echo (200 and 500), one to a name that turns
	// out not to exist, one 200 call to echo in another namespace.
	a := m.Invocation("echo", "openfaas-fn")
	c.Add(time.Second)
	b := m.Invocation("echo", "openfaas-fn")
	ghost := m.Invocation("ghost", "openfaas-fn")
	c.Add(time.Second)
	a(200)
	ghost(0)
	if l := m.Load("echo", "openfaas-fn"); l.InFlight != 1 || l.Invocations != 1 || l.Busy != 3*time.Second {
		t.Fatalf("load mid-way %+v, want 1 in flight, 1 done, 3s busy", l)
	}
	c.Add(time.Second)
	b(500)
	m.Invocation("echo", "dev")(200)
	l := m.Load("echo", "openfaas-fn")
	if l.InFlight != 0 || l.Invocations != 2 || l.Busy != 4*time.Second || !l.LastCall.Equal(c.Now()) {
		t.Fatalf("load %+v", l)
	}

	fams := scrape(t, m.Handler())
	for _, tc := range []struct {
		family string
		labels map[string]string
		want   float64
		absent bool
	}{
		{family: "gateway_function_invocation_total", labels: map[string]string{"function_name": "echo.openfaas-fn", "code": "200"}, want: 1},
		{family: "gateway_function_invocation_total", labels: map[string]string{"function_name": "echo.openfaas-fn", "code": "500"}, want: 1},
		{family: "gateway_function_invocation_total", labels: map[string]string{"function_name": "echo.dev", "code": "200"}, want: 1},
		{family: "gateway_function_invocation_started", labels: map[string]string{"function_name": "echo.openfaas-fn"}, want: 2},
		{family: "gateway_function_invocation_inflight", labels: map[string]string{"function_name": "echo.openfaas-fn"}, want: 0},
		{family: "gateway_functions_seconds", labels: map[string]string{"function_name": "echo.openfaas-fn", "code": "500"}, want: 1},
		{family: "gateway_function_invocation_total", labels: map[string]string{"function_name": "ghost.openfaas-fn"}, absent: true},
		{family: "gateway_function_invocation_started", labels: map[string]string{"function_name": "ghost.openfaas-fn"}, absent: true},
	} {
		t.Run(fmt.Sprintf("%s%v", tc.family, tc.labels), func(t *testing.T) {
			s, ok := sample(fams, tc.family, tc.labels)
			if ok == tc.absent {
				t.Fatalf("present=%v, want %v", ok, !tc.absent)
			}
			if tc.absent {
				return
			}
			var got float64
			switch {
			case s.GetCounter() != nil:
				got = s.GetCounter().GetValue()
			case s.GetGauge() != nil:
				got = s.GetGauge().GetValue()
			case s.GetHistogram() != nil:
				got = float64(s.GetHistogram().GetSampleCount())
				if sum := s.GetHistogram().GetSampleSum(); sum != 2 {
					t.Errorf("histogram sum %g, want 2 (seconds of the 500 call)", sum)
				}
			}
			if got != tc.want {
				t.Fatalf("value %g, want %g", got, tc.want)
			}
		})
	}
	if fam := fams["gateway_function_invocation_total"]; fam.GetType() != dto.MetricType_COUNTER {
		t.Fatalf("invocation_total is a %v", fam.GetType())
	}
	if fam := fams["gateway_functions_seconds"]; fam.GetType() != dto.MetricType_HISTOGRAM {
		t.Fatalf("functions_seconds is a %v", fam.GetType())
	}
}

// fakeBackend serves statuses of a fixed set of functions; the methods the
// wrapper does not call belong to the nil embedded Backend.
type fakeBackend struct {
	provider.Backend
	mu  sync.Mutex
	fns map[string]*provider.FunctionStatus
}

func (f *fakeBackend) Namespaces(context.Context) ([]string, error) {
	return []string{provider.DefaultNamespace}, nil
}

func (f *fakeBackend) Function(_ context.Context, name, _ string) (provider.FunctionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.fns[name]
	if !ok {
		return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
	}
	return *st, nil
}

func (f *fakeBackend) Functions(context.Context, string) ([]provider.FunctionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []provider.FunctionStatus
	for _, st := range f.fns {
		out = append(out, *st)
	}
	return out, nil
}

func (f *fakeBackend) Scale(_ context.Context, name, _ string, n uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.fns[name]
	if !ok {
		return fmt.Errorf("scale %s: %w", name, provider.ErrNotFound)
	}
	st.Replicas, st.AvailableReplicas = n, n
	return nil
}

func (f *fakeBackend) WakeFromZero(_ context.Context, name, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.fns[name]
	if !ok {
		return fmt.Errorf("scale %s from zero: %w", name, provider.ErrNotFound)
	}
	if st.Replicas == 0 {
		st.Replicas, st.AvailableReplicas = 1, 1
	}
	return nil
}

func (f *fakeBackend) Delete(_ context.Context, name, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.fns[name]; !ok {
		return fmt.Errorf("delete %s: %w", name, provider.ErrNotFound)
	}
	delete(f.fns, name)
	return nil
}

func TestBackendWrapper(t *testing.T) {
	ns := provider.DefaultNamespace
	fb := &fakeBackend{fns: map[string]*provider.FunctionStatus{
		"echo": {Name: "echo", Namespace: ns, Replicas: 2, AvailableReplicas: 1, InvocationCount: 99},
	}}
	m := New(WithProcessMetrics(false))
	b := m.Wrap(fb, nil)
	ctx := context.Background()
	for range 3 {
		m.Invocation("echo", ns)(200)
	}
	st, err := b.Function(ctx, "echo", ns)
	if err != nil || st.InvocationCount != 3 {
		t.Fatalf("Function = %+v, %v; want invocationCount 3 from the counters", st, err)
	}
	list, err := b.Functions(ctx, ns)
	if err != nil || len(list) != 1 || list[0].InvocationCount != 3 {
		t.Fatalf("Functions = %+v, %v", list, err)
	}
	if _, err := b.Function(ctx, "nope", ns); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("unknown function: %v", err)
	}
	for _, scale := range []func() error{
		func() error { return b.Scale(ctx, "echo", ns, 0) },
		func() error { return b.WakeFromZero(ctx, "echo", ns) }, // up, from zero
		func() error { return b.WakeFromZero(ctx, "echo", ns) }, // not at zero: no scale
		func() error { return b.Scale(ctx, "echo", ns, 5) },     // up
	} {
		if err := scale(); err != nil {
			t.Fatal(err)
		}
	}
	m.WokeFromZero("echo", ns, 30*time.Millisecond, nil)

	fams := scrape(t, m.Handler())
	fn := map[string]string{"function_name": "echo." + ns}
	if s, ok := sample(fams, "gateway_service_count", fn); !ok || s.GetGauge().GetValue() != 5 {
		t.Fatalf("gateway_service_count = %v", s)
	}
	if s, ok := sample(fams, "faaswasm_service_available_replicas", fn); !ok || s.GetGauge().GetValue() != 5 {
		t.Fatalf("available replicas = %v", s)
	}
	up := map[string]string{"function_name": "echo." + ns, "direction": "up"}
	if s, ok := sample(fams, "faaswasm_scale_seconds", up); !ok || s.GetHistogram().GetSampleCount() != 2 {
		t.Fatalf("scale histogram = %v", s)
	}
	ready := map[string]string{"function_name": "echo." + ns, "outcome": "ready"}
	if s, ok := sample(fams, "faaswasm_scale_from_zero_seconds", ready); !ok || s.GetHistogram().GetSampleCount() != 1 {
		t.Fatalf("wake histogram = %v", s)
	}

	if err := b.Delete(ctx, "echo", ns); err != nil {
		t.Fatal(err)
	}
	fams = scrape(t, m.Handler())
	for _, name := range []string{"gateway_function_invocation_total", "gateway_service_count", "faaswasm_scale_seconds", "gateway_function_invocation_started"} {
		if _, ok := sample(fams, name, fn); ok {
			t.Errorf("%s still reports a deleted function", name)
		}
	}
	if l := m.Load("echo", ns); l.Invocations != 0 {
		t.Fatalf("load of a deleted function %+v", l)
	}
}

func TestWasmObserver(t *testing.T) {
	m := New(WithProcessMetrics(false))
	m.ModuleLoaded(false)
	m.ModuleLoaded(true)
	m.ModuleLoaded(true)
	m.GuestCallDone("echo.dev", "ok")
	m.GuestCallDone("echo.dev", "trap")
	m.GuestCallDone("echo.dev", "trap")
	fams := scrape(t, m.Handler())
	for _, tc := range []struct {
		family string
		labels map[string]string
		want   float64
	}{
		{"faaswasm_wasm_module_cache_total", map[string]string{"result": "miss"}, 1},
		{"faaswasm_wasm_module_cache_total", map[string]string{"result": "hit"}, 2},
		{"faaswasm_wasm_guest_calls_total", map[string]string{"function_name": "echo.dev", "outcome": "ok"}, 1},
		{"faaswasm_wasm_guest_calls_total", map[string]string{"function_name": "echo.dev", "outcome": "trap"}, 2},
	} {
		if s, ok := sample(fams, tc.family, tc.labels); !ok || s.GetCounter().GetValue() != tc.want {
			t.Errorf("%s%v = %v, want %g", tc.family, tc.labels, s, tc.want)
		}
	}
	m.Forget("echo", "dev")
	if _, ok := sample(scrape(t, m.Handler()), "faaswasm_wasm_guest_calls_total", map[string]string{"function_name": "echo.dev"}); ok {
		t.Fatal("guest calls of a forgotten function still exported")
	}
}

func TestColdCalls(t *testing.T) {
	m := New(WithProcessMetrics(false))
	m.ColdCall("echo", "dev", "served")
	m.ColdCall("echo", "dev", "served")
	m.ColdCall("echo", "dev", "refused")
	fams := scrape(t, m.Handler())
	for outcome, want := range map[string]float64{"served": 2, "refused": 1} {
		labels := map[string]string{"function_name": "echo.dev", "outcome": outcome}
		if s, ok := sample(fams, "faaswasm_provider_served_calls_total", labels); !ok || s.GetCounter().GetValue() != want {
			t.Errorf("faaswasm_provider_served_calls_total%v = %v, want %g", labels, s, want)
		}
	}
}

func TestConcurrentCalls(t *testing.T) {
	m := New(WithProcessMetrics(false))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 500 {
				m.Invocation("f", "ns")(200 + i%2)
			}
		}()
	}
	wg.Wait()
	if l := m.Load("f", "ns"); l.Invocations != 4000 || l.InFlight != 0 {
		t.Fatalf("load %+v, want 4000 calls, none in flight", l)
	}
}

func BenchmarkInvocation(b *testing.B) {
	m := New(WithProcessMetrics(false))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Invocation("echo", "openfaas-fn")(200)
		}
	})
}
