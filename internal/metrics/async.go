package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// asyncVecs are the series fed by the asynchronous call queue.
type asyncVecs struct {
	calls, callbacks *prometheus.CounterVec
	latency          *prometheus.HistogramVec
}

func newAsyncVecs() asyncVecs {
	return asyncVecs{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faaswasm_async_calls_total",
			Help: "Asynchronous calls by outcome: accepted, rejected (queue full), retried, succeeded, failed (final non-2xx), invalid (undecodable, dropped).",
		}, []string{labelFunction, labelOutcome}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faaswasm_async_callbacks_total",
			Help: "Posts of asynchronous results to callback URLs by outcome: delivered, retried, failed.",
		}, []string{labelFunction, labelOutcome}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "faaswasm_async_completion_seconds",
			Help:    "Time from an asynchronous call's submission to its completion (result delivered to the callback, if any).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 16), // 1 ms … 15 min
		}, []string{labelFunction}),
	}
}

func (v asyncVecs) collectors() []prometheus.Collector {
	return []prometheus.Collector{v.calls, v.callbacks, v.latency}
}

func (v asyncVecs) forget(match prometheus.Labels) {
	v.calls.DeletePartialMatch(match)
	v.callbacks.DeletePartialMatch(match)
	v.latency.DeletePartialMatch(match)
}

// AsyncCall counts an asynchronous call event of fn ("name.namespace").
// With AsyncCallback and AsyncDone it makes Metrics an observer of the
// queue (async.WithObserver).
func (m *Metrics) AsyncCall(fn, outcome string) {
	m.async.calls.WithLabelValues(fn, outcome).Inc()
}

// AsyncCallback counts a callback post of fn by outcome.
func (m *Metrics) AsyncCallback(fn, outcome string) {
	m.async.callbacks.WithLabelValues(fn, outcome).Inc()
}

// AsyncDone records the submission-to-completion time of a call of fn.
func (m *Metrics) AsyncDone(fn string, d time.Duration) {
	m.async.latency.WithLabelValues(fn).Observe(d.Seconds())
}

// AsyncQueueDepth exports faaswasm_async_queue_depth, read from depth at
// each scrape (calls waiting or running).
func (m *Metrics) AsyncQueueDepth(depth func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "faaswasm_async_queue_depth",
		Help: "Asynchronous calls waiting or running in the queue.",
	}, depth))
}
