package autoscale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/metrics"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Defaults of the options.
const (
	DefaultInterval    = 2 * time.Second
	DefaultCooldown    = time.Minute
	DefaultTarget      = 50
	DefaultMaxReplicas = 20
)

// LoadSource reports the load of a function; *metrics.Metrics is one. Its
// Load times must come from the same clock as the autoscaler's.
type LoadSource interface {
	// Load returns a snapshot of name.namespace's calls.
	Load(name, namespace string) metrics.Load
}

// Option configures an Autoscaler.
type Option func(*options)

type options struct {
	interval    time.Duration
	cooldown    time.Duration
	target      float64
	scaleType   string
	maxReplicas uint64
	loadScaling bool
	now         func() time.Time
	log         *slog.Logger
}

// WithInterval sets how often Run reconciles (default 2s).
func WithInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// WithCooldown sets how long after the last increase of a function's
// replicas the autoscaler waits before scaling it down, and the window
// whose highest desired count a scale-down goes to (default 1m).
func WithCooldown(d time.Duration) Option { return func(o *options) { o.cooldown = d } }

// WithDefaultTarget sets the per-replica target of functions without
// com.openfaas.scale.target (default 50).
func WithDefaultTarget(t float64) Option { return func(o *options) { o.target = t } }

// WithDefaultType sets the scale type of functions without
// com.openfaas.scale.type (default provider.ScaleTypeRPS).
func WithDefaultType(t string) Option { return func(o *options) { o.scaleType = t } }

// WithMaxReplicas sets the ceiling of functions without
// com.openfaas.scale.max (default 20); the backend's own limit still applies.
func WithMaxReplicas(n uint64) Option { return func(o *options) { o.maxReplicas = n } }

// WithLoadScaling turns scaling on load on or off (default on). Off, the
// autoscaler only scales idle functions to zero: it is their one owner, so
// scale to zero works whether or not load decides the replica count.
func WithLoadScaling(on bool) Option { return func(o *options) { o.loadScaling = on } }

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// Autoscaler scales the functions of a Backend from the load a LoadSource
// measures. Run drives it; Reconcile is one pass.
type Autoscaler struct {
	b   provider.Backend
	src LoadSource
	o   options

	mu  sync.Mutex // serialises passes
	fns map[string]*fnState
}

// New returns an Autoscaler over b reading load from src.
//
// # Errors
// provider.ErrInvalid when b or src is nil, or an option is out of range
// (non-positive interval, cool-down or target, unknown default type, zero
// max replicas).
func New(b provider.Backend, src LoadSource, opts ...Option) (*Autoscaler, error) {
	o := options{
		interval: DefaultInterval, cooldown: DefaultCooldown, target: DefaultTarget,
		scaleType: provider.ScaleTypeRPS, maxReplicas: DefaultMaxReplicas, loadScaling: true, now: time.Now, log: slog.Default(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case b == nil || src == nil:
		return nil, fmt.Errorf("autoscaler: a backend and a load source are required: %w", provider.ErrInvalid)
	case o.interval <= 0 || o.cooldown <= 0:
		return nil, fmt.Errorf("autoscaler: interval %s and cool-down %s must be positive: %w", o.interval, o.cooldown, provider.ErrInvalid)
	case o.target <= 0:
		return nil, fmt.Errorf("autoscaler: default target %g must be positive: %w", o.target, provider.ErrInvalid)
	case !provider.ValidScaleType(o.scaleType):
		return nil, fmt.Errorf("autoscaler: default type %q: want rps, capacity or cpu: %w", o.scaleType, provider.ErrInvalid)
	case o.maxReplicas == 0:
		return nil, fmt.Errorf("autoscaler: max replicas must be at least 1: %w", provider.ErrInvalid)
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	return &Autoscaler{b: b, src: src, o: o, fns: map[string]*fnState{}}, nil
}

// Run reconciles every interval until ctx ends. Errors of a pass are
// logged, not fatal.
func (a *Autoscaler) Run(ctx context.Context) {
	t := time.NewTicker(a.o.interval)
	defer t.Stop()
	a.o.log.InfoContext(ctx, "autoscaler started", "interval", a.o.interval, "cooldown", a.o.cooldown,
		"default_type", a.o.scaleType, "default_target", a.o.target)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := a.Reconcile(ctx); err != nil && ctx.Err() == nil {
				a.o.log.WarnContext(ctx, "autoscaler pass", "err", err)
			}
		}
	}
}

// Reconcile makes one pass over every function of every namespace and
// scales those whose desired replica count differs from their current one.
// Functions with unreadable scale labels are left alone (logged once).
//
// # Errors
// Listing or scaling failures, joined; the pass goes on past each one.
func (a *Autoscaler) Reconcile(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	nss, err := a.b.Namespaces(ctx)
	if err != nil {
		return fmt.Errorf("autoscale: list namespaces: %w", err)
	}
	var errs []error
	live := make(map[string]bool, len(a.fns))
	for _, ns := range nss {
		list, err := a.b.Functions(ctx, ns)
		if err != nil {
			if !errors.Is(err, provider.ErrNotFound) {
				errs = append(errs, fmt.Errorf("autoscale: list functions of %s: %w", ns, err))
			}
			continue
		}
		for _, st := range list {
			key := metrics.Key(st.Name, ns)
			live[key] = true
			if err := a.step(ctx, key, ns, st); err != nil {
				errs = append(errs, err)
			}
		}
	}
	for key := range a.fns {
		if !live[key] {
			delete(a.fns, key)
		}
	}
	return errors.Join(errs...)
}

// step decides for one function and scales it when needed.
func (a *Autoscaler) step(ctx context.Context, key, ns string, st provider.FunctionStatus) error {
	now := a.o.now()
	s := a.fns[key]
	if s == nil {
		s = &fnState{seen: now, lastUp: now, replicas: st.Replicas}
		a.fns[key] = s
	}
	load := a.src.Load(st.Name, ns)
	d, err := a.decide(s, st, load, now)
	if err != nil {
		if msg := err.Error(); msg != s.lastErr {
			s.lastErr = msg
			a.o.log.WarnContext(ctx, "autoscaler skips function", "function", st.Name, "namespace", ns, "err", err)
		}
		return nil
	}
	s.lastErr = ""
	if d.warnCPU {
		a.o.log.InfoContext(ctx, "no CPU usage reported; scaling on capacity instead", "function", st.Name, "namespace", ns)
	}
	if d.replicas == st.Replicas {
		return nil
	}
	// The list may be stale by now: someone (an API call, a wake-up from
	// zero) may have scaled the function since. Acting on the old count
	// would overwrite their decision — for example bring back a replica
	// just scaled to zero on purpose — so skip this pass instead.
	if fresh, err := a.b.Function(ctx, st.Name, ns); err != nil || fresh.Replicas != st.Replicas {
		if err == nil {
			s.replicas = fresh.Replicas
		}
		return nil
	}
	a.o.log.InfoContext(ctx, "autoscaling", "function", st.Name, "namespace", ns,
		"from", st.Replicas, "to", d.replicas, "reason", d.reason, "load", d.load)
	if err := a.b.Scale(ctx, st.Name, ns, d.replicas); err != nil {
		return fmt.Errorf("autoscale %s.%s to %d: %w", st.Name, ns, d.replicas, err)
	}
	if d.replicas > st.Replicas {
		s.lastUp = now
	}
	s.replicas = d.replicas
	return nil
}
