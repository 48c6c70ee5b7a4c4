package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// fakeAPI is a provider API of one function "f" that scales at once and
// counts the calls made at each replica count. With wake, its first scale
// to zero is undone at once and every call wakes it to one replica, as
// when a call of the previous phase reaches a function just scaled to zero.
type fakeAPI struct {
	mu       sync.Mutex
	wake     bool
	replicas uint64
	zeros    int
	calls    map[uint64]int
}

func (a *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
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
		if req.Replicas == 0 {
			a.zeros++
			if a.wake && a.zeros == 1 {
				a.replicas = 1 // woken by a straggler
			}
		}
		w.WriteHeader(http.StatusAccepted)
	case r.URL.Path == "/system/function/f":
		json.NewEncoder(w).Encode(provider.FunctionStatus{Name: "f", Replicas: a.replicas, AvailableReplicas: a.replicas})
	case r.URL.Path == "/function/f.openfaas-fn":
		if a.calls == nil {
			a.calls = map[uint64]int{}
		}
		a.calls[a.replicas]++
		if a.wake {
			a.replicas = 1
		}
		w.Write([]byte("ok"))
	default:
		http.NotFound(w, r)
	}
}

// TestColdStartScalesAgainAfterWake: a function woken right after its
// scale to zero is scaled to zero again, and the round is measured; the
// full benchmark had lost the scale-to-zero rounds of two functions to this.
func TestColdStartScalesAgainAfterWake(t *testing.T) {
	old := zeroAttempt
	zeroAttempt = 100 * time.Millisecond
	t.Cleanup(func() { zeroAttempt = old })
	api := &fakeAPI{wake: true}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	c := NewClient(srv.URL, "", "", "openfaas-fn")
	d, err := coldStart(context.Background(), c, "f", c.FunctionURL("f", ""))
	if err != nil {
		t.Fatalf("coldStart: %v", err)
	}
	api.mu.Lock()
	zeros := api.zeros
	api.mu.Unlock()
	if zeros != 2 || d <= 0 {
		t.Fatalf("scaled to zero %d times, took %s; want 2 scales and a measured round", zeros, d)
	}
}
