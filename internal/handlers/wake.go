package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Poll intervals while waiting for a function to become ready: the first
// wait is short (Wasm replicas start in milliseconds) and doubles up to the
// gateway's own 100 ms poll period.
const (
	wakePollMin = 2 * time.Millisecond
	wakePollMax = 100 * time.Millisecond
)

// errNoCallerWaits ends a wake-up whose callers have all gone.
var errNoCallerWaits = errors.New("no caller waits any more")

// waker scales functions from zero on demand. Concurrent callers of one
// function share a single wake-up, so a burst of calls causes one Scale,
// not one per call. A wake-up lives only while a caller waits for it: when
// the last one leaves it is cancelled (it must not scale a function up
// again after it was scaled to zero on purpose), and the next call starts a
// fresh one instead of joining a stale one. A caller has gone when its
// request context ends; Go's server notices a vanished client of a request
// with a body only once the body is read, so such a wake-up may run on to
// its timeout.
type waker struct {
	b       provider.Backend
	timeout time.Duration
	log     *slog.Logger
	obs     Observer

	mu      sync.Mutex
	running map[string]*wakeup
}

// wakeup is one function's wake-up in progress.
type wakeup struct {
	done    chan struct{}
	err     error // set before done is closed
	waiters int   // guarded by waker.mu
	cancel  context.CancelFunc
}

func newWaker(b provider.Backend, timeout time.Duration, log *slog.Logger, obs Observer) *waker {
	return &waker{b: b, timeout: timeout, log: log, obs: obs, running: map[string]*wakeup{}}
}

// invoker returns the handler of a function, first waking it when the
// backend reports ErrUnavailable.
//
// # Errors
// ErrNotFound for an unknown function; ErrUnavailable when it is not ready
// within the timeout or ctx ends while waiting; other backend errors as is.
func (wk *waker) invoker(ctx context.Context, name, ns string) (http.Handler, error) {
	h, err := wk.b.Invoker(ctx, name, ns)
	if !errors.Is(err, provider.ErrUnavailable) {
		return h, err
	}
	if ctx.Err() != nil {
		// The caller has gone already: nobody would use the replica.
		return nil, fmt.Errorf("%s.%s is at zero and the caller has gone: %v: %w", name, ns, ctx.Err(), provider.ErrUnavailable)
	}
	key := ns + "/" + name
	w := wk.join(key, name, ns)
	select {
	case <-w.done:
		if w.err != nil {
			return nil, w.err
		}
	case <-ctx.Done():
		wk.leave(key, w)
		return nil, fmt.Errorf("wait for %s.%s to scale from zero: %v: %w", name, ns, ctx.Err(), provider.ErrUnavailable)
	}
	return wk.b.Invoker(ctx, name, ns)
}

// join adds the caller to the function's running wake-up, starting one
// when none runs.
func (wk *waker) join(key, name, ns string) *wakeup {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	if w, ok := wk.running[key]; ok {
		w.waiters++
		return w
	}
	ctx, cancel := context.WithTimeout(context.Background(), wk.timeout)
	w := &wakeup{done: make(chan struct{}), waiters: 1, cancel: cancel}
	wk.running[key] = w
	go func() {
		start := time.Now()
		err := wk.wake(ctx, name, ns)
		cancel()
		wk.mu.Lock()
		if wk.running[key] == w {
			delete(wk.running, key)
		}
		wk.mu.Unlock()
		wk.obs.WokeFromZero(name, ns, time.Since(start), err)
		w.err = err
		close(w.done)
	}()
	return w
}

// leave removes a caller whose context ended; the last one to leave
// cancels the wake-up and forgets it, so later calls start afresh.
func (wk *waker) leave(key string, w *wakeup) {
	wk.mu.Lock()
	defer wk.mu.Unlock()
	w.waiters--
	if w.waiters > 0 {
		return
	}
	w.cancel()
	if wk.running[key] == w {
		delete(wk.running, key)
	}
}

// wake polls the backend until the function has a ready replica, and
// whenever it sees no replica requested — at the start, or after a race
// with a scale to zero — scales it to its minimum (at least 1). It ends
// with an error when ctx ends: the timeout passed or no caller waits.
func (wk *waker) wake(ctx context.Context, name, ns string) error {
	delay := wakePollMin
	for {
		if err := wk.request(ctx, name, ns); err != nil {
			return err
		}
		_, err := wk.b.Invoker(ctx, name, ns)
		if err == nil {
			return nil
		}
		if !errors.Is(err, provider.ErrUnavailable) {
			return fmt.Errorf("scale %s.%s from zero: %w", name, ns, err)
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.Canceled) {
				return fmt.Errorf("scale %s.%s from zero: %w: %w", name, ns, errNoCallerWaits, provider.ErrUnavailable)
			}
			return fmt.Errorf("%s.%s has no ready replica %s after scaling from zero: %w", name, ns, wk.timeout, provider.ErrUnavailable)
		case <-time.After(delay):
		}
		delay = min(2*delay, wakePollMax)
	}
}

// request scales the function to its minimum (at least 1) when no replica
// is requested. The status read only saves the write when replicas are
// requested; the backend's WakeFromZero decides, so a scale that lands
// between the read and the write is kept.
func (wk *waker) request(ctx context.Context, name, ns string) error {
	st, err := wk.b.Function(ctx, name, ns)
	if err != nil {
		return fmt.Errorf("scale %s.%s from zero: %w", name, ns, err)
	}
	if st.Replicas > 0 {
		return nil
	}
	wk.log.InfoContext(ctx, "scaling from zero", "function", name, "namespace", ns, "replicas", provider.WakeReplicas(st.Labels))
	if err := wk.b.WakeFromZero(ctx, name, ns); err != nil {
		return fmt.Errorf("scale %s.%s from zero: %w", name, ns, err)
	}
	return nil
}
