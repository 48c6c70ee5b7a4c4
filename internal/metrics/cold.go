package metrics

import "github.com/prometheus/client_golang/prometheus"

// newColdVec makes the series of calls the Kubernetes provider served
// itself while a Wasm function had no ready pod.
func newColdVec() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "faaswasm_provider_served_calls_total",
		Help: "Calls to Wasm functions without a ready pod that the provider handled itself (kubernetes mode), by outcome: served (the function ran in the provider), refused (budget full: 429), load_failed (module not loadable: the call waited for a pod).",
	}, []string{labelFunction, labelOutcome})
}

// ColdCall counts a call to name.namespace the provider handled itself,
// by outcome; it makes Metrics the k8s backend's ColdObserver.
func (m *Metrics) ColdCall(name, namespace, outcome string) {
	m.coldCalls.WithLabelValues(Key(name, namespace), outcome).Inc()
}
