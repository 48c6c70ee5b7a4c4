package local

import (
	"context"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// defaultLogLines is how many lines each function's ring buffer keeps.
const defaultLogLines = 1000

// followBuffer is how many lines a follower may lag behind before lines are
// dropped for it (a slow reader never blocks a function).
const followBuffer = 256

// logRing keeps the newest lines of one function and the followers that
// receive new lines as they are written.
type logRing struct {
	mu        sync.Mutex
	lines     []provider.LogMessage
	start     int // index of the oldest line once the ring is full
	followers map[chan provider.LogMessage]struct{}
	closed    bool
}

func newLogRing(size int) *logRing {
	return &logRing{lines: make([]provider.LogMessage, 0, size), followers: map[chan provider.LogMessage]struct{}{}}
}

// add stores m, evicting the oldest line when full, and offers it to every
// follower without blocking.
func (r *logRing) add(m provider.LogMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	if len(r.lines) < cap(r.lines) {
		r.lines = append(r.lines, m)
	} else {
		r.lines[r.start] = m
		r.start = (r.start + 1) % len(r.lines)
	}
	for ch := range r.followers {
		select {
		case ch <- m:
		default:
		}
	}
}

// snapshot returns the stored lines matching req, oldest first, and, when
// follow is set, a channel of new lines registered in the same critical
// section so no line falls between the two.
func (r *logRing) snapshot(req provider.LogRequest) ([]provider.LogMessage, chan provider.LogMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []provider.LogMessage
	n := len(r.lines)
	for i := 0; i < n; i++ {
		m := r.lines[(r.start+i)%n]
		if matches(m, req) {
			out = append(out, m)
		}
	}
	if req.Tail > 0 && len(out) > req.Tail {
		out = out[len(out)-req.Tail:]
	}
	if !req.Follow || r.closed {
		return out, nil
	}
	ch := make(chan provider.LogMessage, followBuffer)
	r.followers[ch] = struct{}{}
	return out, ch
}

// unfollow removes ch; it is safe after close.
func (r *logRing) unfollow(ch chan provider.LogMessage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.followers[ch]; ok {
		delete(r.followers, ch)
		close(ch)
	}
}

// close ends every follower (the function was deleted).
func (r *logRing) close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for ch := range r.followers {
		delete(r.followers, ch)
		close(ch)
	}
}

func matches(m provider.LogMessage, req provider.LogRequest) bool {
	if req.Instance != "" && m.Instance != req.Instance {
		return false
	}
	return req.Since.IsZero() || !m.Timestamp.Before(req.Since)
}

// stream sends the stored lines and then, when following, new lines until
// ctx ends or the ring is closed. The returned channel is always closed, and
// the goroutine never outlives ctx.
func (r *logRing) stream(ctx context.Context, req provider.LogRequest) <-chan provider.LogMessage {
	stored, follow := r.snapshot(req)
	out := make(chan provider.LogMessage)
	go func() {
		defer close(out)
		if follow != nil {
			defer r.unfollow(follow)
		}
		for _, m := range stored {
			select {
			case out <- m:
			case <-ctx.Done():
				return
			}
		}
		if follow == nil {
			return
		}
		for {
			select {
			case m, ok := <-follow:
				if !ok {
					return
				}
				if !matches(m, req) {
					continue
				}
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
	return out
}

// logLine builds a message stamped with now.
func logLine(name, namespace, instance, text string, now time.Time) provider.LogMessage {
	return provider.LogMessage{Name: name, Namespace: namespace, Instance: instance, Timestamp: now, Text: text}
}
