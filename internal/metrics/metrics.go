package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label names.
const (
	labelFunction  = "function_name"
	labelCode      = "code"
	labelDirection = "direction"
	labelOutcome   = "outcome"
)

// Option configures Metrics.
type Option func(*options)

type options struct {
	now     func() time.Time
	process bool
}

// WithClock sets the clock that times calls (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithProcessMetrics adds (true, the default) or leaves out the Go runtime
// and process collectors (go_*, process_*).
func WithProcessMetrics(on bool) Option { return func(o *options) { o.process = on } }

// Metrics counts invocations per function and exports them, with the
// replica counts of a wrapped Backend, in Prometheus text format. It is
// safe for concurrent use.
type Metrics struct {
	now     func() time.Time
	reg     *prometheus.Registry
	total   *prometheus.CounterVec
	seconds *prometheus.HistogramVec
	scale   *prometheus.HistogramVec
	wake    *prometheus.HistogramVec

	moduleCache, guestCalls *prometheus.CounterVec
	async                   asyncVecs
	coldCalls               *prometheus.CounterVec

	mu  sync.RWMutex
	fns map[string]*fnStats // by "name.namespace"
}

// fnStats is what is known of one function's calls.
type fnStats struct {
	mu       sync.Mutex
	started  uint64        // calls begun and counted (or still in flight)
	inflight int64         // calls in flight
	done     uint64        // calls finished and counted
	busy     time.Duration // integral of inflight over time, up to mark
	mark     time.Time
	last     time.Time // when the latest call began or ended
	byCode   map[int]instruments
	dead     bool // removed from Metrics.fns; calls must look up its successor
}

// instruments are the series of one function and status code, looked up
// once rather than on every call.
type instruments struct {
	total   prometheus.Counter
	seconds prometheus.Observer
}

// advance brings the busy integral up to now; the caller holds s.mu.
func (s *fnStats) advance(now time.Time) {
	if !s.mark.IsZero() && now.After(s.mark) {
		s.busy += time.Duration(s.inflight) * now.Sub(s.mark)
	}
	s.mark = now
}

// New returns Metrics with its own registry.
func New(opts ...Option) *Metrics {
	o := options{now: time.Now, process: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.now == nil {
		o.now = time.Now
	}
	startBuckets := prometheus.ExponentialBuckets(0.0005, 2.5, 14) // 0.5 ms … 73 s
	m := &Metrics{
		now: o.now,
		reg: prometheus.NewRegistry(),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gateway_function_invocation_total",
			Help: "Function invocations through /function/, by function and status code.",
		}, []string{labelFunction, labelCode}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "gateway_functions_seconds",
			Help:    "Duration of function invocations through /function/, scale from zero included.",
			Buckets: prometheus.DefBuckets,
		}, []string{labelFunction, labelCode}),
		scale: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "faaswasm_scale_seconds",
			Help:    "Duration of the backend's Scale calls that changed the replica count (for local Wasm functions: the time to load the new replicas).",
			Buckets: startBuckets,
		}, []string{labelFunction, labelDirection}),
		wake: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "faaswasm_scale_from_zero_seconds",
			Help:    "Time from a call finding no ready replica to a replica being ready (outcome ready) or the wait being abandoned (outcome failed).",
			Buckets: startBuckets,
		}, []string{labelFunction, labelOutcome}),
		fns: map[string]*fnStats{},
	}
	m.moduleCache, m.guestCalls = newWasmVecs()
	m.async = newAsyncVecs()
	m.coldCalls = newColdVec()
	m.reg.MustRegister(m.total, m.seconds, m.scale, m.wake, m.moduleCache, m.guestCalls, m.coldCalls, callCollector{m})
	m.reg.MustRegister(m.async.collectors()...)
	if o.process {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Handler serves the metrics in Prometheus text (or negotiated) format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry returns the registry the metrics live in, to add collectors to.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Key is the function_name label of a function: "name.namespace".
func Key(name, namespace string) string { return name + "." + namespace }

// Invocation records the start of a call to name.namespace and returns the
// function to call when it ends with the status code answered. A code of 0
// means the call did not reach an existing function: it is not counted,
// and a function never seen otherwise leaves no trace.
func (m *Metrics) Invocation(name, namespace string) (done func(code int)) {
	key := Key(name, namespace)
	start := m.now()
	s := m.stats(key)
	s.mu.Lock()
	for s.dead { // dropped between lookup and lock: take its successor
		s.mu.Unlock()
		s = m.stats(key)
		s.mu.Lock()
	}
	s.advance(start)
	s.inflight++
	s.started++
	s.last = start
	s.mu.Unlock()
	return func(code int) {
		end := m.now()
		if code == 0 {
			m.mu.Lock()
			s.mu.Lock()
			s.advance(end)
			s.inflight--
			s.started--
			if s.started == 0 && m.fns[key] == s {
				delete(m.fns, key)
				s.dead = true
			}
			s.mu.Unlock()
			m.mu.Unlock()
			return
		}
		s.mu.Lock()
		s.advance(end)
		s.inflight--
		s.done++
		s.last = end
		ins, ok := s.byCode[code]
		if !ok {
			c := strconv.Itoa(code)
			ins = instruments{m.total.WithLabelValues(key, c), m.seconds.WithLabelValues(key, c)}
			if s.byCode == nil {
				s.byCode = map[int]instruments{}
			}
			s.byCode[code] = ins
		}
		s.mu.Unlock()
		ins.total.Inc()
		ins.seconds.Observe(end.Sub(start).Seconds())
	}
}

// stats returns the fnStats of key, creating it.
func (m *Metrics) stats(key string) *fnStats {
	m.mu.RLock()
	s := m.fns[key]
	m.mu.RUnlock()
	if s != nil {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if s = m.fns[key]; s == nil {
		s = &fnStats{}
		m.fns[key] = s
	}
	return s
}

// WokeFromZero records one scale from zero of name.namespace that took d;
// err is nil when a replica became ready.
func (m *Metrics) WokeFromZero(name, namespace string, d time.Duration, err error) {
	outcome := "ready"
	if err != nil {
		outcome = "failed"
	}
	m.wake.WithLabelValues(Key(name, namespace), outcome).Observe(d.Seconds())
}

// Load is a snapshot of one function's calls, as the autoscaler reads it.
type Load struct {
	// At is when the snapshot was taken.
	At time.Time
	// InFlight is the number of calls running (or waiting for a replica).
	InFlight int64
	// Invocations is the number of calls finished since the provider started.
	Invocations uint64
	// Busy is the integral of InFlight over time up to At: the average
	// concurrency between two snapshots is ΔBusy/ΔAt.
	Busy time.Duration
	// LastCall is when the latest call began or ended; zero if none.
	LastCall time.Time
}

// Load returns the current Load of name.namespace (zero counts for a
// function never called).
func (m *Metrics) Load(name, namespace string) Load {
	now := m.now()
	m.mu.RLock()
	s := m.fns[Key(name, namespace)]
	m.mu.RUnlock()
	if s == nil {
		return Load{At: now}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advance(now)
	return Load{At: now, InFlight: s.inflight, Invocations: s.done, Busy: s.busy, LastCall: s.last}
}

// Forget drops everything recorded about name.namespace, e.g. when it is deleted.
func (m *Metrics) Forget(name, namespace string) {
	key := Key(name, namespace)
	m.mu.Lock()
	if s := m.fns[key]; s != nil {
		s.mu.Lock()
		s.dead = true
		s.mu.Unlock()
		delete(m.fns, key)
	}
	m.mu.Unlock()
	match := prometheus.Labels{labelFunction: key}
	m.total.DeletePartialMatch(match)
	m.seconds.DeletePartialMatch(match)
	m.scale.DeletePartialMatch(match)
	m.wake.DeletePartialMatch(match)
	m.guestCalls.DeletePartialMatch(match)
	m.async.forget(match)
}

// observeScale records a Scale call that moved name.namespace up or down.
func (m *Metrics) observeScale(name, namespace, direction string, d time.Duration) {
	m.scale.WithLabelValues(Key(name, namespace), direction).Observe(d.Seconds())
}

var (
	startedDesc = prometheus.NewDesc("gateway_function_invocation_started",
		"Function invocations begun through /function/.", []string{labelFunction}, nil)
	inflightDesc = prometheus.NewDesc("gateway_function_invocation_inflight",
		"Function invocations in flight (for local Wasm functions: guest instances running or waiting for a slot).", []string{labelFunction}, nil)
)

// callCollector exports the started and in-flight counts from fnStats, so
// that a name that never turned out to be a function leaves no series.
type callCollector struct{ m *Metrics }

func (c callCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- startedDesc
	ch <- inflightDesc
}

func (c callCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.RLock()
	type row struct {
		key     string
		started uint64
		flying  int64
	}
	rows := make([]row, 0, len(c.m.fns))
	for key, s := range c.m.fns {
		s.mu.Lock()
		rows = append(rows, row{key, s.started, s.inflight})
		s.mu.Unlock()
	}
	c.m.mu.RUnlock()
	for _, r := range rows {
		ch <- prometheus.MustNewConstMetric(startedDesc, prometheus.CounterValue, float64(r.started), r.key)
		ch <- prometheus.MustNewConstMetric(inflightDesc, prometheus.GaugeValue, float64(r.flying), r.key)
	}
}
