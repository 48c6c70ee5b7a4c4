package handlers

import (
	"context"
	"fmt"

	"github.com/faas-wasm/faas-wasm/provider"
)

func (f *fakeBackend) Logs(ctx context.Context, req provider.LogRequest) (<-chan provider.LogMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if _, ok := f.functions[key(req.Name, req.Namespace)]; !ok {
		return nil, fmt.Errorf("function %s: %w", req.Name, provider.ErrNotFound)
	}
	f.lastLogReq = req
	var lines []provider.LogMessage
	for _, m := range f.logs {
		if m.Name == req.Name && (req.Since.IsZero() || !m.Timestamp.Before(req.Since)) {
			lines = append(lines, m)
		}
	}
	if req.Tail > 0 && len(lines) > req.Tail {
		lines = lines[len(lines)-req.Tail:]
	}
	var sub chan provider.LogMessage
	if req.Follow {
		sub = make(chan provider.LogMessage, 16)
		f.subs[sub] = struct{}{}
	}
	out := make(chan provider.LogMessage)
	go func() {
		defer close(out)
		if sub != nil {
			defer f.unsubscribe(sub)
		}
		for _, m := range lines {
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
		if sub == nil {
			return
		}
		for {
			select {
			case m := <-sub:
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (f *fakeBackend) unsubscribe(sub chan provider.LogMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.subs, sub)
}

// emit delivers a new log line to every follower.
func (f *fakeBackend) emit(m provider.LogMessage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs = append(f.logs, m)
	for sub := range f.subs {
		sub <- m
	}
}

func (f *fakeBackend) followers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}
