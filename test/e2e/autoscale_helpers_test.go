//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// fnClient calls functions through a provider's /function/ route and
// tallies every answer by function and status code, so the test can compare
// what it sent with what the provider counted.
type fnClient struct {
	url    string
	client *http.Client

	mu    sync.Mutex
	codes map[string]map[int]int
}

func newFnClient(url string) *fnClient {
	tr := &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return &fnClient{url: url, client: &http.Client{Transport: tr}, codes: map[string]map[int]int{}}
}

// close drops the client's idle connections.
func (f *fnClient) close() { f.client.CloseIdleConnections() }

// call GETs /function/{fn}{query}, reads the whole answer and tallies its
// status. A transport error is returned (and not tallied: whether the
// provider counted such a call is unknown, so the test must fail).
func (f *fnClient) call(ctx context.Context, fn, query string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/function/"+fn+query, nil)
	if err != nil {
		return 0, err
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("call %s: %w", fn, err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	f.mu.Lock()
	if f.codes[fn] == nil {
		f.codes[fn] = map[int]int{}
	}
	f.codes[fn][resp.StatusCode]++
	f.mu.Unlock()
	if err != nil {
		return resp.StatusCode, fmt.Errorf("read answer of %s: %w", fn, err)
	}
	return resp.StatusCode, nil
}

// tally returns a copy of the answers of fn by status code, and their sum.
func (f *fnClient) tally(fn string) (map[int]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out, total := map[int]int{}, 0
	for code, n := range f.codes[fn] {
		out[code] = n
		total += n
	}
	return out, total
}

// loadRun is a bounded closed-loop load: workers each send one call after
// the other until stopped or until the time limit passes. Stopping never
// cancels a call in flight, so every call is answered and tallied.
type loadRun struct {
	start  time.Time
	halt   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	calls  atomic.Int64
	non200 atomic.Int64

	mu  sync.Mutex
	err error
}

// startLoad runs workers concurrent callers of fn for at most limit.
func (f *fnClient) startLoad(fn, query string, workers int, limit time.Duration) *loadRun {
	l := &loadRun{start: time.Now(), halt: make(chan struct{})}
	deadline := l.start.Add(limit)
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for time.Now().Before(deadline) {
				select {
				case <-l.halt:
					return
				default:
				}
				code, err := f.call(context.Background(), fn, query)
				if err != nil {
					l.mu.Lock()
					l.err = errors.Join(l.err, err)
					l.mu.Unlock()
					return
				}
				l.calls.Add(1)
				if code != http.StatusOK {
					l.non200.Add(1)
				}
			}
		}()
	}
	return l
}

// stop asks the workers to stop, waits for their last calls and returns
// when it was asked and the first transport error, if any.
func (l *loadRun) stop() (time.Time, error) {
	var at time.Time
	l.once.Do(func() {
		at = time.Now()
		close(l.halt)
	})
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return at, l.err
}

// replicas reads a function's Deployment: requested and available replicas.
func (c *cluster) replicas(ctx context.Context, name string) (spec, avail int32, err error) {
	d, err := c.admin.AppsV1().Deployments(c.namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return 0, 0, err
	}
	if d.Spec.Replicas != nil {
		spec = *d.Spec.Replicas
	}
	return spec, d.Status.AvailableReplicas, nil
}

// pods counts a function's pods, terminating ones included; -1 when the
// API server does not answer.
func (c *cluster) pods(ctx context.Context, name string) int {
	l, err := c.admin.CoreV1().Pods(c.namespace).List(ctx, metav1.ListOptions{LabelSelector: fw.LabelFunction + "=" + name})
	if err != nil {
		return -1
	}
	return len(l.Items)
}

// pollUntil checks cond every 200 ms until it holds (true) or timeout passes
// (false). API errors inside cond should read as "not yet": another
// engineer's test may restart the API server for a few seconds.
func pollUntil(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true
}

// scrapeMetrics GETs the provider's /metrics and parses it with the
// Prometheus text parser.
func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// metricSample finds the sample of family whose labels include want; ok is false
// when there is none. Counters and gauges give their value, histograms
// their sample count.
func metricSample(fams map[string]*dto.MetricFamily, family string, want map[string]string) (float64, bool) {
	fam := fams[family]
	if fam == nil {
		return 0, false
	}
next:
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, lp := range m.GetLabel() {
			have[lp.GetName()] = lp.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// checkCounts scrapes /metrics and checks, for each function, that the
// provider counted exactly the calls f made to it, each once: invocation
// totals and duration histogram counts by code, calls begun, none in
// flight, and invocationCount in GET /system/function/NAME. It also checks
// that the replica gauges agree with the Deployment (retrying while the
// informer cache catches up).
func (c *cluster) checkCounts(ctx context.Context, t *testing.T, p *binProvider, f *fnClient, fns ...string) {
	t.Helper()
	// A call is counted once its handler returns, which can be just after
	// its caller has the answer: wait until no call is in flight (a count
	// still wrong then is reported below).
	var fams map[string]*dto.MetricFamily
	pollUntil(10*time.Second, func() bool {
		fams = scrapeMetrics(t, p.url)
		for _, fn := range fns {
			if v, _ := metricSample(fams, "gateway_function_invocation_inflight", map[string]string{"function_name": fn + "." + c.namespace}); v != 0 {
				return false
			}
		}
		return true
	})
	for _, fn := range fns {
		key := fn + "." + c.namespace
		codes, total := f.tally(fn)
		if total == 0 {
			t.Errorf("%s: the test made no call to it", fn)
		}
		var counted float64
		if fam := fams["gateway_function_invocation_total"]; fam != nil {
			for _, m := range fam.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "function_name" && lp.GetValue() == key {
						counted += m.GetCounter().GetValue()
					}
				}
			}
		}
		if counted != float64(total) {
			t.Errorf("%s: gateway_function_invocation_total over all codes = %v, want %d calls (by code %v)", key, counted, total, codes)
		}
		for code, n := range codes {
			labels := map[string]string{"function_name": key, "code": fmt.Sprint(code)}
			if v, _ := metricSample(fams, "gateway_function_invocation_total", labels); v != float64(n) {
				t.Errorf("gateway_function_invocation_total%v = %v, want %d", labels, v, n)
			}
			if v, _ := metricSample(fams, "gateway_functions_seconds", labels); v != float64(n) {
				t.Errorf("gateway_functions_seconds%v has %v samples, want %d", labels, v, n)
			}
		}
		one := map[string]string{"function_name": key}
		if v, _ := metricSample(fams, "gateway_function_invocation_started", one); v != float64(total) {
			t.Errorf("gateway_function_invocation_started{%s} = %v, want %d", key, v, total)
		}
		if v, ok := metricSample(fams, "gateway_function_invocation_inflight", one); !ok || v != 0 {
			t.Errorf("gateway_function_invocation_inflight{%s} = %v (present %v), want 0", key, v, ok)
		}
		var st fw.FunctionStatus
		if err := json.Unmarshal([]byte(p.api().expect(t, 200, "GET", "/system/function/"+fn, nil)), &st); err != nil {
			t.Fatal(err)
		}
		if st.InvocationCount != float64(total) {
			t.Errorf("%s: invocationCount = %v, want %d", fn, st.InvocationCount, total)
		}
		var last string
		if !pollUntil(15*time.Second, func() bool {
			spec, avail, err := c.replicas(ctx, fn)
			if err != nil {
				last = err.Error()
				return false
			}
			now := scrapeMetrics(t, p.url)
			gs, _ := metricSample(now, "gateway_service_count", one)
			ga, _ := metricSample(now, "faaswasm_service_available_replicas", one)
			last = fmt.Sprintf("gateway_service_count %v, faaswasm_service_available_replicas %v; Deployment %d requested, %d available", gs, ga, spec, avail)
			return gs == float64(spec) && ga == float64(avail)
		}) {
			t.Errorf("%s: replica gauges never matched the Deployment: %s", key, last)
		}
		t.Logf("%s: %d calls by code %v counted once each (totals, histogram, started, invocationCount); %s", key, total, codes, last)
	}
}

// logContains reports whether the provider's log has a line containing
// every one of parts.
func (p *binProvider) logContains(t *testing.T, parts ...string) bool {
	t.Helper()
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if !slices.ContainsFunc(parts, func(s string) bool { return !strings.Contains(line, s) }) {
			return true
		}
	}
	return false
}

// medianOf is the median of xs (which it sorts); 0 for none.
func medianOf[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	if n := len(xs); n%2 == 0 {
		return (xs[n/2-1] + xs[n/2]) / 2
	}
	return xs[len(xs)/2]
}

// later returns the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// ratioOf is a/b, 0 when b is 0.
func ratioOf(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}
