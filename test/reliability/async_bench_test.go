package reliability

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// BenchmarkAsyncWasmC50 measures asynchronous calls through a real
// provider (local mode, embedded NATS JetStream on disk): 50 clients
// submit b.N calls to a Wasm function (--async-concurrency 50) with a
// callback on loopback. It reports calls/s from the first submission to the
// last callback, and the submit→callback latency (p50, p99) and the
// submission's own latency (p50, p99).
//
//	go test ./test/reliability -run '^$' -bench AsyncWasmC50 -benchtime 5000x
func BenchmarkAsyncWasmC50(b *testing.B) {
	const clients = 50
	registry := ocitest.NewRegistry(b)
	p := startProvider(b, b.TempDir(), "--async-concurrency", "50", "--async-queue-max", "1000000")
	p.expect(b, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "bench", Image: pushWasm(b, registry, "neighbour", neighbourWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
	})
	cb := newCallbackServer(b)
	var mu sync.Mutex
	sent := map[string]time.Time{}
	var submitLat []time.Duration
	ids := make(chan string, b.N)
	work := make(chan int, b.N)
	for i := range b.N {
		work <- i
	}
	close(work)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range work {
				t0 := time.Now()
				id, err := submitCall(p, "/async-function/bench", fmt.Sprint(i), cb.URL)
				if err != nil {
					b.Error(err)
					return
				}
				d := time.Since(t0)
				mu.Lock()
				sent[id] = t0
				submitLat = append(submitLat, d)
				mu.Unlock()
				ids <- id
			}
		})
	}
	wg.Wait()
	close(ids)
	if b.Failed() {
		return
	}
	all := make([]string, 0, b.N)
	for id := range ids {
		all = append(all, id)
	}
	got := cb.wait(b, all, 10*time.Minute)
	elapsed := time.Since(start)
	b.StopTimer()
	var lat []time.Duration
	for id, c := range got {
		lat = append(lat, c.at.Sub(sent[id]))
	}
	slices.Sort(lat)
	slices.Sort(submitLat)
	pct := func(s []time.Duration, q int) float64 {
		return float64(s[(len(s)-1)*q/100]) / float64(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(pct(lat, 50), "p50-ms")
	b.ReportMetric(pct(lat, 99), "p99-ms")
	b.ReportMetric(pct(submitLat, 50), "submit-p50-ms")
	b.ReportMetric(pct(submitLat, 99), "submit-p99-ms")
	b.ReportMetric(0, "ns/op")
}
