package bench

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/procmem"
)

// TestMeasurePods: the memory phase scales the function to two replicas,
// calls it while it has them, waits until the node runs only two pods (a
// pod of an earlier round still terminating is not read) and reports the
// median of what each pod's processes hold (here this test process, read
// from its smaps_rollup).
func TestMeasurePods(t *testing.T) {
	shortIdle(t)
	api := &fakeAPI{replicas: 1}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "", "", "openfaas-fn")
	self := os.Getpid()
	reads := 0
	pods := func() [][]int {
		reads++
		if reads < 3 {
			return [][]int{{self, self}, {self, self}, {self, self}} // one still terminating
		}
		// A shim with no process below it is a stopped pod's; a pid that
		// has gone is skipped.
		return [][]int{{self, self}, {self, 1 << 30}, {self}}
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

// TestMeasurePodsOtherPods: when the node keeps running an older pod
// that is not the function's, the phase reads the newest two after
// podsSettle; with fewer pods than replicas it fails, naming what it saw.
func TestMeasurePodsOtherPods(t *testing.T) {
	shortIdle(t)
	old := podsSettle
	podsSettle = 100 * time.Millisecond
	t.Cleanup(func() { podsSettle = old })
	api := &fakeAPI{replicas: 1}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "", "", "openfaas-fn")
	self := os.Getpid()
	pm, err := measurePods(context.Background(), c, func() [][]int { return [][]int{{self, self, self}, {self, self}, {self, self}} }, "f", c.FunctionURL("f", ""))
	want, _ := procmem.Rollup(self)
	if err != nil || pm.Pods != 2 || pm.RSSBytes > 2.5*float64(want.RSS) {
		t.Fatalf("measurePods with an older third pod: %+v, %v (this process %+v)", pm, err, want)
	}
	_, err = measurePods(context.Background(), c, func() [][]int { return [][]int{{self, self}} }, "f", c.FunctionURL("f", ""))
	if err == nil || !strings.Contains(err.Error(), "runs 1 pods") {
		t.Fatalf("measurePods with one pod: %v", err)
	}
}

// shortIdle makes the memory phase idle 10 ms for the test.
func shortIdle(t *testing.T) {
	old := podIdle
	podIdle = 10 * time.Millisecond
	t.Cleanup(func() { podIdle = old })
}
