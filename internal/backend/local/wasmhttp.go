package local

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// wasmFunc is one deployed Wasm function: its compiled module and its
// loaded replicas. It serves calls as an http.Handler.
type wasmFunc struct {
	name, ns string
	digest   string // SHA-256 of the module
	prog     wasmProgram
	cfg      replicaConfig
	log      func(instance, text string)
	o        *options
	next     atomic.Uint64

	mu       sync.RWMutex
	replicas []*slot
}

// slot is one loaded replica. active counts the calls it is serving, so it
// is closed only after they end.
type slot struct {
	id     string
	r      wasmReplica
	busy   atomic.Int64
	active sync.WaitGroup
}

// retire closes replicas once their calls have ended; with wait it returns
// only when they are closed.
func retire(slots []*slot, wait bool) {
	var wg sync.WaitGroup
	for _, s := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.active.Wait()
			s.r.close()
		}()
	}
	if wait {
		wg.Wait()
	}
}

func (fn *wasmFunc) count() (uint64, uint64) {
	fn.mu.RLock()
	defer fn.mu.RUnlock()
	n := uint64(len(fn.replicas))
	return n, n
}

// pick returns the least busy replica, starting the search at a rotating
// index so equally busy replicas share the load, and marks it active. It
// returns nil when no replica is loaded.
func (fn *wasmFunc) pick() *slot {
	fn.mu.RLock()
	defer fn.mu.RUnlock()
	n := len(fn.replicas)
	if n == 0 {
		return nil
	}
	start := int(fn.next.Add(1) % uint64(n))
	best := fn.replicas[start]
	for i := 1; i < n && best.busy.Load() > 0; i++ {
		if s := fn.replicas[(start+i)%n]; s.busy.Load() < best.busy.Load() {
			best = s
		}
	}
	best.active.Add(1)
	best.busy.Add(1)
	return best
}

// ServeHTTP runs one call on a replica and writes its answer.
func (fn *wasmFunc) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, ok := wasm.ReadBody(w, r, fn.o.maxRequestBytes)
	if !ok {
		return
	}
	s := fn.pick()
	if s == nil {
		http.Error(w, fmt.Sprintf("No endpoints available for: %s.", fn.name), http.StatusServiceUnavailable)
		return
	}
	resp, err := s.r.invoke(r.Context(), &invocation{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Host: r.Host,
		RemoteAddr: r.RemoteAddr, Header: r.Header, Body: body,
	})
	s.busy.Add(-1)
	s.active.Done()
	if err != nil {
		fn.log(s.id, fmt.Sprintf("invocation failed (%d): %v", wasm.ErrorStatus(err), err))
		wasm.WriteError(w, fn.name, err)
		return
	}
	wasm.WriteResponse(w, resp.Status, resp.Header, resp.Body, time.Since(start))
}
