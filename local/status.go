package local

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Function returns one function's status from memory; it does no I/O. The
// status's maps and slices are shared with the backend: read them only.
//
// # Errors
// provider.ErrNotFound if the function or the namespace does not exist.
func (b *Backend) Function(_ context.Context, name, namespace string) (provider.FunctionStatus, error) {
	ns := b.nsOrDefault(namespace)
	b.mu.RLock()
	defer b.mu.RUnlock()
	f, err := b.lookup(name, ns)
	if err != nil {
		return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, err)
	}
	return b.status(f, name, ns), nil
}

// Functions lists a namespace's functions sorted by name (an empty slice
// when none); it does no I/O. The statuses' maps and slices are shared with
// the backend: read them only.
//
// # Errors
// provider.ErrNotFound for an unknown namespace.
func (b *Backend) Functions(_ context.Context, namespace string) ([]provider.FunctionStatus, error) {
	ns := b.nsOrDefault(namespace)
	b.mu.RLock()
	defer b.mu.RUnlock()
	n, ok := b.namespaces[ns]
	if !ok {
		return nil, fmt.Errorf("list functions: namespace %q: %w", ns, provider.ErrNotFound)
	}
	names := slices.Sorted(maps.Keys(n.functions))
	out := make([]provider.FunctionStatus, len(names))
	for i, name := range names {
		out[i] = b.status(n.functions[name], name, ns)
	}
	return out, nil
}

// status builds a function's status; the caller holds b.mu. The maps,
// slices and resources are the stored spec's own: specs are replaced whole,
// never changed in place, so sharing them is safe as long as callers only
// read them (the contract of Function and Functions).
func (b *Backend) status(f *function, name, ns string) provider.FunctionStatus {
	s := &f.spec
	st := provider.FunctionStatus{
		Name:                   name,
		Image:                  s.Image,
		Namespace:              ns,
		EnvProcess:             s.EnvProcess,
		EnvVars:                s.EnvVars,
		Constraints:            s.Constraints,
		Secrets:                s.Secrets,
		Labels:                 s.Labels,
		Annotations:            s.Annotations,
		Limits:                 s.Limits,
		Requests:               s.Requests,
		ReadOnlyRootFilesystem: s.ReadOnlyRootFilesystem,
		InvocationCount:        float64(f.invocations.Load()),
		Replicas:               f.replicas,
		CreatedAt:              f.createdAt,
	}
	if r, err := b.runner(f.runtime); err == nil && f.loadErr == nil {
		_, st.AvailableReplicas = r.Replicas(name, ns)
	}
	return st
}

// Scale sets a function's replica count. Values above com.openfaas.scale.max
// are clamped to it; 0 unloads every replica (the compiled module stays
// cached, so scaling up again is fast). A function whose replicas could not
// be restored is started again.
//
// # Errors
// provider.ErrNotFound if the function does not exist; errors wrapping
// provider.ErrImage or provider.ErrNotImplemented when replicas cannot start.
func (b *Backend) Scale(ctx context.Context, name, namespace string, replicas uint64) error {
	ns := b.nsOrDefault(namespace)
	b.mu.RLock()
	f, err := b.lookup(name, ns)
	b.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	f.op.Lock()
	defer f.op.Unlock()
	if !b.current(f, name, ns) {
		return fmt.Errorf("scale %s: %w", name, provider.ErrNotFound)
	}
	if err := b.scaleLocked(ctx, f, name, ns, replicas); err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	return nil
}

// scaleLocked scales f; the caller holds f.op.
func (b *Backend) scaleLocked(ctx context.Context, f *function, name, ns string, replicas uint64) error {
	b.mu.RLock()
	replicas = min(replicas, f.max)
	spec, loadErr := f.spec, f.loadErr
	b.mu.RUnlock()
	if replicas > 0 {
		f.lastUsed.Store(b.opts.now().UnixNano())
	}
	var err error
	switch {
	case loadErr != nil && replicas == 0:
		// Nothing to start: record the count, keep the reason.
	case loadErr != nil:
		err = b.runFunction(ctx, f, name, ns, replicas, true)
	default:
		var r Runner
		if r, err = b.runner(f.runtime); err == nil {
			err = r.Scale(ctx, name, ns, replicas)
		}
	}
	if err != nil {
		return err
	}
	if err := b.saveFunction(f, name, ns, spec, replicas); err != nil {
		return err
	}
	b.mu.Lock()
	f.replicas = replicas
	if replicas > 0 {
		f.loadErr = nil
	}
	b.mu.Unlock()
	b.log.Info("function scaled", "function", name, "namespace", ns, "replicas", replicas)
	return nil
}

// Invoker returns the handler serving calls to a function. It counts
// invocations and records the last use for idle scale to zero.
//
// # Errors
// provider.ErrNotFound if the function does not exist; provider.ErrUnavailable
// if it has no ready replica (scale it up and ask again).
func (b *Backend) Invoker(_ context.Context, name, namespace string) (http.Handler, error) {
	ns := b.nsOrDefault(namespace)
	b.mu.RLock()
	f, err := b.lookup(name, ns)
	var runtime string
	var loadErr error
	if err == nil {
		runtime, loadErr = f.runtime, f.loadErr
	}
	b.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	if loadErr != nil {
		return nil, fmt.Errorf("invoke %s: no replica (%v): %w", name, loadErr, provider.ErrUnavailable)
	}
	r, err := b.runner(runtime)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	h, err := r.Handler(name, ns)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	return &counted{f: f, next: h, b: b}, nil
}

// counted counts calls to a function and keeps its last-use time current.
type counted struct {
	f    *function
	next http.Handler
	b    *Backend
}

func (c *counted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.f.invocations.Add(1)
	c.f.inflight.Add(1)
	c.f.lastUsed.Store(c.b.opts.now().UnixNano())
	defer func() {
		c.f.lastUsed.Store(c.b.opts.now().UnixNano())
		c.f.inflight.Add(-1)
	}()
	c.next.ServeHTTP(w, r)
}

// Logs streams a function's stored log lines (and new ones with Follow). The
// channel is closed when the stored lines are sent, when ctx ends, or when
// the function is deleted.
//
// # Errors
// provider.ErrNotFound for an unknown function or namespace.
func (b *Backend) Logs(ctx context.Context, req provider.LogRequest) (<-chan provider.LogMessage, error) {
	ns := b.nsOrDefault(req.Namespace)
	b.mu.RLock()
	f, err := b.lookup(req.Name, ns)
	b.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", req.Name, err)
	}
	return f.logs.stream(ctx, req), nil
}
