package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/procmem"
	"github.com/faas-wasm/faas-wasm/provider"
)

// scalingAPI is a provider API of one function "f" that scales at once
// and counts the calls made while it had each replica count.
type scalingAPI struct {
	mu       sync.Mutex
	replicas uint64
	calls    map[uint64]int
}

func (a *scalingAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/system/scale-function/f":
		var req provider.ScaleServiceRequest
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.replicas = req.Replicas
		w.WriteHeader(http.StatusAccepted)
	case r.URL.Path == "/system/function/f":
		json.NewEncoder(w).Encode(provider.FunctionStatus{Name: "f", Replicas: a.replicas, AvailableReplicas: a.replicas})
	case r.URL.Path == "/function/f.openfaas-fn":
		a.calls[a.replicas]++
		w.Write([]byte("ok"))
	default:
		http.NotFound(w, r)
	}
}

// TestMeasurePods: the memory phase scales the function to two replicas,
// calls it while it has them, waits until the node runs only two pods (a
// pod of an earlier round still terminating is not read) and reports the
// median of what each pod's processes hold (here this test process, read
// from its smaps_rollup).
func TestMeasurePods(t *testing.T) {
	api := &scalingAPI{replicas: 1, calls: map[uint64]int{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "", "", "openfaas-fn")
	self := os.Getpid()
	reads := 0
	pods := func() [][]int {
		reads++
		if reads < 3 {
			return [][]int{{self}, {self}, {self}} // one still terminating
		}
		return [][]int{{self, 1 << 30}, {self}} // a pid that has gone is skipped
	}
	pm, err := measurePods(context.Background(), c, pods, "f", c.FunctionURL("f", ""))
	if err != nil {
		t.Fatal(err)
	}
	want, err := procmem.Rollup(self)
	if err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	calls, replicas := api.calls[podMemoryReplicas], api.replicas
	api.mu.Unlock()
	if calls != podMemoryCalls || replicas != podMemoryReplicas || reads < 3 {
		t.Errorf("%d calls at %d replicas, left at %d, %d reads of the pods; want %d calls at %d", calls, podMemoryReplicas, replicas, reads,
			podMemoryCalls, podMemoryReplicas)
	}
	if pm.Pods != podMemoryReplicas || pm.UniqueBytes <= 0 || pm.PSSBytes <= 0 || pm.RSSBytes < pm.PSSBytes ||
		pm.RSSBytes > 2*float64(want.RSS) || pm.RSSBytes < float64(want.RSS)/2 {
		t.Errorf("pod memory %+v, this process %+v", pm, want)
	}
}

// TestMeasurePodsOtherPods: when the node keeps running pods that are not
// the function's, the phase fails with how many it saw instead of
// reporting them.
func TestMeasurePodsOtherPods(t *testing.T) {
	old := podsSettle
	podsSettle = 100 * time.Millisecond
	t.Cleanup(func() { podsSettle = old })
	api := &scalingAPI{replicas: 1, calls: map[uint64]int{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "", "", "openfaas-fn")
	self := os.Getpid()
	_, err := measurePods(context.Background(), c, func() [][]int { return [][]int{{self}, {self}, {self}} }, "f", c.FunctionURL("f", ""))
	if err == nil || !strings.Contains(err.Error(), "runs 3 pods") {
		t.Fatalf("measurePods with a third pod: %v", err)
	}
}
