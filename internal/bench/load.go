package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Load describes one load phase against one URL. Every phase is bounded:
// it stops after MaxRequests requests or MaxDuration, whichever comes first.
type Load struct {
	// Workers is the number of concurrent clients (at least 1).
	Workers int
	// Interval is each worker's pause between request starts (0: back to
	// back). 200 ms is 5 requests per second per worker.
	Interval time.Duration
	// KeepAlive reuses connections; off opens one TCP connection per
	// request, like the study's `hey -disable-keepalive`.
	KeepAlive bool
	// MaxRequests bounds the total number of requests.
	MaxRequests int
	// MaxDuration bounds the phase's wall time.
	MaxDuration time.Duration
}

// LoadResult is the outcome of one load phase.
type LoadResult struct {
	Summary
	// Seconds is the phase's wall time.
	Seconds float64 `json:"seconds"`
	// RPS is successful requests per second of wall time.
	RPS float64 `json:"rps"`
	// Samples are the successful latencies in ms, in completion order
	// (at most maxKeptSamples, evenly thinned).
	Samples []float64 `json:"samplesMs,omitempty"`
	// Usage is the CPU and memory seen during the phase, when measured.
	Usage *Usage `json:"usage,omitempty"`
}

// maxKeptSamples bounds the samples a LoadResult keeps for plots and JSON.
const maxKeptSamples = 1000

// Run performs the load phase with GET requests to url; only 200 answers
// count as successes, everything else (and transport errors) as errors.
func (l Load) Run(ctx context.Context, url string) LoadResult {
	workers := max(l.Workers, 1)
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		DisableKeepAlives:   !l.KeepAlive,
		MaxIdleConnsPerHost: workers,
		MaxConnsPerHost:     workers,
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	ctx, cancel := context.WithTimeout(ctx, l.MaxDuration)
	defer cancel()

	var (
		issued atomic.Int64
		mu     sync.Mutex
		lat    []time.Duration
		errs   int
		wg     sync.WaitGroup
	)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := time.Now().Add(time.Duration(w) * l.Interval / time.Duration(workers))
			for ctx.Err() == nil && issued.Add(1) <= int64(l.MaxRequests) {
				if wait := time.Until(next); wait > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(wait):
					}
				}
				next = time.Now().Add(l.Interval)
				d, err := Get(ctx, client, url)
				mu.Lock()
				if err != nil {
					if ctx.Err() == nil {
						errs++
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := LoadResult{Summary: Summarize(lat, errs), Seconds: elapsed.Seconds()}
	if elapsed > 0 {
		res.RPS = float64(len(lat)) / elapsed.Seconds()
	}
	res.Samples = thin(Millis(lat), maxKeptSamples)
	return res
}

// Get sends one GET and reads the whole answer; it returns the time to the
// end of the body, and an error for transport failures or a status other
// than 200.
//
// # Errors
//
// Transport errors, or ErrStatus wrapped with the status.
func Get(ctx context.Context, client *http.Client, url string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", url, err)
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", url, err)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("get %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("get %s: %w %d", url, ErrStatus, resp.StatusCode)
	}
	return d, nil
}

// thin keeps at most n values of v, evenly spaced, rounded to the
// microsecond.
func thin(v []float64, n int) []float64 {
	m := min(len(v), n)
	out := make([]float64, m)
	for i := range m {
		out[i] = math.Round(v[i*len(v)/m]*1000) / 1000
	}
	return out
}
