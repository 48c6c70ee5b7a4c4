package metrics

import "github.com/prometheus/client_golang/prometheus"

// newWasmVecs makes the series fed by the Wasm engine's observer.
func newWasmVecs() (cache, calls *prometheus.CounterVec) {
	cache = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "faaswasm_wasm_module_cache_total",
		Help: "Wasm modules the engine loaded from its AOT cache (result hit) or had to compile (result miss).",
	}, []string{"result"})
	calls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "faaswasm_wasm_guest_calls_total",
		Help: "Finished Wasm guest calls by outcome: ok, trap, exit (non-zero), timeout, memory_limit, response_too_large, error (host side).",
	}, []string{labelFunction, "outcome"})
	return cache, calls
}

// ModuleLoaded counts a module the Wasm engine loaded from its AOT cache
// (cached) or compiled. With GuestCallDone it makes Metrics an observer
// of the engine (wasm.WithObserver).
func (m *Metrics) ModuleLoaded(cached bool) {
	result := "miss"
	if cached {
		result = "hit"
	}
	m.moduleCache.WithLabelValues(result).Inc()
}

// GuestCallDone counts a finished guest call of fn ("name.namespace") by
// outcome, as classified by the engine.
func (m *Metrics) GuestCallDone(fn, outcome string) {
	m.guestCalls.WithLabelValues(fn, outcome).Inc()
}
