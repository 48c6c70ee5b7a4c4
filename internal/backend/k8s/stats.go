package k8s

import (
	"sync"
	"sync/atomic"
	"time"
)

// fnStats are a function's in-memory counters: invocations since the
// provider started, calls in flight and the last use (for idle scale to zero).
type fnStats struct {
	invocations atomic.Uint64
	inflight    atomic.Int64
	lastUsed    atomic.Int64 // Unix ns
}

// statsTable holds the counters of every function by "ns/name".
type statsTable struct {
	m sync.Map
}

func newStatsTable() *statsTable { return &statsTable{} }

// get returns a function's counters, creating them with lastUsed = now.
func (t *statsTable) get(ns, name string, now time.Time) *fnStats {
	key := ns + "/" + name
	if s, ok := t.m.Load(key); ok {
		return s.(*fnStats)
	}
	s := &fnStats{}
	s.lastUsed.Store(now.UnixNano())
	actual, _ := t.m.LoadOrStore(key, s)
	return actual.(*fnStats)
}

// peek returns a function's counters or nil.
func (t *statsTable) peek(ns, name string) *fnStats {
	if s, ok := t.m.Load(ns + "/" + name); ok {
		return s.(*fnStats)
	}
	return nil
}

// touch records a use of a function now.
func (t *statsTable) touch(ns, name string, now time.Time) {
	t.get(ns, name, now).lastUsed.Store(now.UnixNano())
}

// forget drops a deleted function's counters.
func (t *statsTable) forget(ns, name string) { t.m.Delete(ns + "/" + name) }
