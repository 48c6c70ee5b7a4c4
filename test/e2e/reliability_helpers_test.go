//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// loadClient sends the reliability tests' load: keep-alive connections
// enough for concurrency 50, and a per-call bound so a hung call counts as
// an error instead of stalling the test.
var loadClient = &http.Client{
	Timeout:   15 * time.Second,
	Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second},
}

// outcome is one call of a load run.
type outcome struct {
	start, end time.Time
	err        error
}

// loadResult sums up a load run.
type loadResult struct {
	calls   []outcome
	elapsed time.Duration
}

// errs counts the failed calls whose start lies in [from, to) (zero times: unbounded).
func (r *loadResult) errs(from, to time.Time) (n int, first []string) {
	for _, c := range r.calls {
		if c.err == nil || (!from.IsZero() && c.start.Before(from)) || (!to.IsZero() && !c.start.Before(to)) {
			continue
		}
		n++
		if len(first) < 5 {
			first = append(first, c.err.Error())
		}
	}
	return n, first
}

// served counts the successful calls that ended in [from, to).
func (r *loadResult) served(from, to time.Time) int {
	n := 0
	for _, c := range r.calls {
		if c.err == nil && !c.end.Before(from) && c.end.Before(to) {
			n++
		}
	}
	return n
}

// pct is the q-th percentile latency of all calls.
func (r *loadResult) pct(q int) time.Duration {
	if len(r.calls) == 0 {
		return 0
	}
	d := make([]time.Duration, len(r.calls))
	for i, c := range r.calls {
		d[i] = c.end.Sub(c.start)
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*q/100)]
}

func (r *loadResult) String() string {
	n, _ := r.errs(time.Time{}, time.Time{})
	return fmt.Sprintf("%d calls, %d errors, p50 %s, p99 %s, %.0f req/s", len(r.calls), n,
		r.pct(50).Round(10*time.Microsecond), r.pct(99).Round(10*time.Microsecond), float64(len(r.calls))/r.elapsed.Seconds())
}

// call sends one request and checks a 200 whose body is want (any body when want is empty).
func call(method, url string, body []byte, want string) outcome {
	o := outcome{start: time.Now()}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		o.err, o.end = err, time.Now()
		return o
	}
	resp, err := loadClient.Do(req)
	if err != nil {
		o.err, o.end = err, time.Now()
		return o
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	o.end = time.Now()
	switch {
	case err != nil:
		o.err = err
	case resp.StatusCode != http.StatusOK:
		o.err = fmt.Errorf("status %d: %.120q", resp.StatusCode, got)
	case want != "" && string(got) != want:
		o.err = fmt.Errorf("answer %.80q, want %.80q", got, want)
	}
	return o
}

// loader runs GETs against one URL from c workers until n calls were sent
// (n > 0) or stop is called.
type loader struct {
	mu    sync.Mutex
	res   loadResult
	stopc chan struct{}
	wg    sync.WaitGroup
	start time.Time
	count atomic.Int64
}

func startLoad(c, n int, url, want string) *loader {
	l := &loader{stopc: make(chan struct{}), start: time.Now()}
	var sent atomic.Int64
	for range c {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stopc:
					return
				default:
				}
				if n > 0 && sent.Add(1) > int64(n) {
					return
				}
				o := call(http.MethodGet, url, nil, want)
				l.count.Add(1)
				l.mu.Lock()
				l.res.calls = append(l.res.calls, o)
				l.mu.Unlock()
				if o.err != nil {
					time.Sleep(10 * time.Millisecond) // a refused call returns at once: do not spin
				}
			}
		}()
	}
	return l
}

// wait waits for a bounded load to finish.
func (l *loader) wait() *loadResult {
	l.wg.Wait()
	l.res.elapsed = time.Since(l.start)
	return &l.res
}

// stop ends an open load and returns its result.
func (l *loader) stop() *loadResult {
	select {
	case <-l.stopc:
	default:
		close(l.stopc)
	}
	return l.wait()
}

// fixedLoad sends n GETs to url with c workers.
func fixedLoad(c, n int, url, want string) *loadResult { return startLoad(c, n, url, want).wait() }

// deployReady deploys fn through p with a fixed number of replicas and
// waits until it is ready (waitReady); it returns the function's answer.
func deployReady(ctx context.Context, t *testing.T, c *cluster, p *provider, fn fw.FunctionDeployment, replicas int, query string) string {
	t.Helper()
	deploy(t, p, fn, replicas)
	return waitReady(ctx, t, c, p, fn.Service, replicas, query)
}

// deploy POSTs fn with its replica count pinned (scale min = max = replicas).
func deploy(t *testing.T, p *provider, fn fw.FunctionDeployment, replicas int) {
	t.Helper()
	fn.Labels = maps.Clone(fn.Labels)
	if fn.Labels == nil {
		fn.Labels = map[string]string{}
	}
	fn.Labels[fw.LabelScaleMin] = strconv.Itoa(replicas)
	fn.Labels[fw.LabelScaleMax] = strconv.Itoa(replicas)
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", fn)
}

// waitReady waits until the cluster lists replicas ready endpoints of
// function name and it answers 200 through p; it returns that answer.
func waitReady(ctx context.Context, t *testing.T, c *cluster, p *provider, name string, replicas int, query string) string {
	t.Helper()
	start := time.Now()
	waitFor(t, 3*time.Minute, fmt.Sprintf("%s with %d ready endpoints", name, replicas), func() bool {
		return len(c.podAddrs(ctx, t, name)) == replicas
	})
	var answer string
	waitFor(t, time.Minute, name+" answering 200", func() bool {
		code, _, body := p.call(t, http.MethodGet, "/function/"+name+query, nil)
		answer = body
		return code == http.StatusOK
	})
	t.Logf("%s: %d replicas ready and answering %s after the wait began", name, replicas, time.Since(start).Round(time.Millisecond))
	return answer
}

// testNamespace is a namespace name of its own for one test.
func testNamespace(prefix string) string {
	return fmt.Sprintf("faas-wasm-%s-%d", prefix, time.Now().UnixNano()/1e6%1000000)
}
