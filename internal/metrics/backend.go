package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faas-wasm/faas-wasm/provider"
)

// scrapeTimeout bounds the backend calls made while serving /metrics.
const scrapeTimeout = 5 * time.Second

// Instrumented decorates a provider.Backend: statuses carry invocationCount from
// Metrics, Scale calls are timed, Delete forgets the function's series.
// Every other method is the wrapped backend's.
type Instrumented struct {
	provider.Backend
	m *Metrics
}

var _ provider.Backend = (*Instrumented)(nil)

// Wrap returns b decorated with m, and registers in m the replica gauges
// (gateway_service_count, faaswasm_service_available_replicas) read from b
// at each scrape. Call it once per Metrics. log receives scrape failures
// (nil means slog.Default()).
func (m *Metrics) Wrap(b provider.Backend, log *slog.Logger) *Instrumented {
	if log == nil {
		log = slog.Default()
	}
	m.reg.MustRegister(replicaCollector{b: b, log: log})
	return &Instrumented{Backend: b, m: m}
}

// Function returns the wrapped backend's status with invocationCount set
// from Metrics.
//
// # Errors
// As the wrapped backend: provider.ErrNotFound for an unknown function or namespace.
func (b *Instrumented) Function(ctx context.Context, name, namespace string) (provider.FunctionStatus, error) {
	st, err := b.Backend.Function(ctx, name, namespace)
	if err != nil {
		return st, err
	}
	st.InvocationCount = float64(b.m.Load(st.Name, cmp.Or(st.Namespace, namespace)).Invocations)
	return st, nil
}

// Functions returns the wrapped backend's statuses with invocationCount set
// from Metrics.
//
// # Errors
// As the wrapped backend: provider.ErrNotFound for an unknown namespace.
func (b *Instrumented) Functions(ctx context.Context, namespace string) ([]provider.FunctionStatus, error) {
	list, err := b.Backend.Functions(ctx, namespace)
	if err != nil {
		return list, err
	}
	out := make([]provider.FunctionStatus, len(list))
	for i, st := range list {
		st.InvocationCount = float64(b.m.Load(st.Name, cmp.Or(st.Namespace, namespace)).Invocations)
		out[i] = st
	}
	return out, nil
}

// Scale scales through the wrapped backend and records how long a change
// of the replica count took in faaswasm_scale_seconds.
//
// # Errors
// As the wrapped backend: provider.ErrNotFound if the function does not exist.
func (b *Instrumented) Scale(ctx context.Context, name, namespace string, replicas uint64) error {
	st, err := b.Backend.Function(ctx, name, namespace)
	if err != nil {
		return b.Backend.Scale(ctx, name, namespace, replicas)
	}
	start := b.m.now()
	if err := b.Backend.Scale(ctx, name, namespace, replicas); err != nil {
		return err
	}
	ns := cmp.Or(st.Namespace, namespace)
	switch {
	case replicas > st.Replicas:
		b.m.observeScale(name, ns, "up", b.m.now().Sub(start))
	case replicas < st.Replicas:
		b.m.observeScale(name, ns, "down", b.m.now().Sub(start))
	}
	return nil
}

// WakeFromZero wakes through the wrapped backend and records, when the
// function was at zero, how long the scale up took in faaswasm_scale_seconds.
//
// # Errors
// As the wrapped backend: provider.ErrNotFound if the function does not exist.
func (b *Instrumented) WakeFromZero(ctx context.Context, name, namespace string) error {
	st, err := b.Backend.Function(ctx, name, namespace)
	if err != nil || st.Replicas > 0 {
		return b.Backend.WakeFromZero(ctx, name, namespace)
	}
	start := b.m.now()
	if err := b.Backend.WakeFromZero(ctx, name, namespace); err != nil {
		return err
	}
	b.m.observeScale(name, cmp.Or(st.Namespace, namespace), "up", b.m.now().Sub(start))
	return nil
}

// Delete deletes through the wrapped backend, then forgets the function's metrics.
//
// # Errors
// As the wrapped backend: provider.ErrNotFound if the function does not exist.
func (b *Instrumented) Delete(ctx context.Context, name, namespace string) error {
	if err := b.Backend.Delete(ctx, name, namespace); err != nil {
		return err
	}
	b.m.Forget(name, namespace)
	return nil
}

var (
	replicasDesc = prometheus.NewDesc("gateway_service_count",
		"Replicas of a function (requested).", []string{labelFunction}, nil)
	availableDesc = prometheus.NewDesc("faaswasm_service_available_replicas",
		"Ready replicas of a function.", []string{labelFunction}, nil)
)

// replicaCollector reads replica counts from the backend at scrape time.
type replicaCollector struct {
	b   provider.Backend
	log *slog.Logger
}

func (c replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- replicasDesc
	ch <- availableDesc
}

func (c replicaCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	nss, err := c.b.Namespaces(ctx)
	if err != nil {
		c.log.WarnContext(ctx, "metrics: list namespaces", "err", err)
		return
	}
	for _, ns := range nss {
		list, err := c.b.Functions(ctx, ns)
		if err != nil {
			c.log.WarnContext(ctx, "metrics: list functions", "namespace", ns, "err", err)
			continue
		}
		for _, st := range list {
			key := Key(st.Name, ns)
			ch <- prometheus.MustNewConstMetric(replicasDesc, prometheus.GaugeValue, float64(st.Replicas), key)
			ch <- prometheus.MustNewConstMetric(availableDesc, prometheus.GaugeValue, float64(st.AvailableReplicas), key)
		}
	}
}
