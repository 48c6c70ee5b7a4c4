package reliability

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result sums up a run of requests.
type result struct {
	total, errs int
	// firstErrs holds up to five error descriptions.
	firstErrs []string
	latencies []time.Duration
	elapsed   time.Duration
}

func (r *result) String() string {
	return fmt.Sprintf("%d requests, %d errors, p50 %v, p99 %v, %.0f req/s",
		r.total, r.errs, r.pct(50), r.pct(99), float64(r.total)/r.elapsed.Seconds())
}

// pct returns the q-th percentile latency.
func (r *result) pct(q int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	s := slices.Clone(r.latencies)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*q/100)]
}

// recorder collects outcomes from concurrent workers.
type recorder struct {
	mu  sync.Mutex
	res result
}

func (rec *recorder) add(d time.Duration, err error) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.res.total++
	rec.res.latencies = append(rec.res.latencies, d)
	if err != nil {
		rec.res.errs++
		if len(rec.res.firstErrs) < 5 {
			rec.res.firstErrs = append(rec.res.firstErrs, err.Error())
		}
	}
}

// hit sends one GET to url and checks a 200 whose body starts with want.
func hit(url, want string) (time.Duration, error) {
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return time.Since(start), err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return d, err
	}
	if resp.StatusCode != http.StatusOK || len(b) < len(want) || string(b[:len(want)]) != want {
		return d, fmt.Errorf("status %d body %.80q", resp.StatusCode, b)
	}
	return d, nil
}

// fixedLoad sends n GETs to url with c workers and checks each answer.
func fixedLoad(n, c int, url, want string) *result {
	rec := &recorder{}
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				rec.add(hit(url, want))
			}
		}()
	}
	wg.Wait()
	rec.res.elapsed = time.Since(start)
	return &rec.res
}

// steadyLoad sends GETs to url from c workers until the returned stop
// function is called; stop returns the outcome.
func steadyLoad(c int, url, want string) (stop func() *result) {
	rec := &recorder{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-done:
					return
				default:
				}
				rec.add(hit(url, want))
			}
		}()
	}
	return func() *result {
		close(done)
		wg.Wait()
		rec.res.elapsed = time.Since(start)
		return &rec.res
	}
}
