package local

import (
	"context"
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Invoker returns the handler serving calls to a function. It counts
// nothing: the HTTP layer's metrics are the one source of invocation counts
// and load, and the autoscaler the one owner of scale to zero.
//
// # Errors
// provider.ErrNotFound if the function does not exist; provider.ErrUnavailable
// if it has no ready replica (scale it up and ask again).
func (b *Host) Invoker(_ context.Context, name, namespace string) (http.Handler, error) {
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
	r, err := b.driver(runtime)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	h, err := r.Handler(name, ns)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", name, err)
	}
	return h, nil
}

// Logs streams a function's stored log lines (and new ones with Follow). The
// channel is closed when the stored lines are sent, when ctx ends, or when
// the function is deleted.
//
// # Errors
// provider.ErrNotFound for an unknown function or namespace.
func (b *Host) Logs(ctx context.Context, req provider.LogRequest) (<-chan provider.LogMessage, error) {
	ns := b.nsOrDefault(req.Namespace)
	b.mu.RLock()
	f, err := b.lookup(req.Name, ns)
	b.mu.RUnlock()
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", req.Name, err)
	}
	return f.logs.stream(ctx, req), nil
}
