package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Poll intervals while waiting for a function to become ready: the first
// wait is short (Wasm replicas start in milliseconds) and doubles up to the
// gateway's own 100 ms poll period.
const (
	wakePollMin = 2 * time.Millisecond
	wakePollMax = 100 * time.Millisecond
)

// waker scales functions from zero on demand. Concurrent callers of one
// function share a single wake-up (singleflight), so a burst of calls
// causes one Scale, not one per call.
type waker struct {
	b       provider.Backend
	timeout time.Duration
	log     *slog.Logger
	obs     Observer
	group   singleflight.Group
}

func newWaker(b provider.Backend, timeout time.Duration, log *slog.Logger, obs Observer) *waker {
	return &waker{b: b, timeout: timeout, log: log, obs: obs}
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
	ch := wk.group.DoChan(ns+"/"+name, func() (any, error) {
		start := time.Now()
		err := wk.wake(context.WithoutCancel(ctx), name, ns)
		wk.obs.WokeFromZero(name, ns, time.Since(start), err)
		return nil, err
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for %s.%s to scale from zero: %v: %w", name, ns, ctx.Err(), provider.ErrUnavailable)
	}
	return wk.b.Invoker(ctx, name, ns)
}

// wake scales a function to its minimum (at least 1) unless replicas are
// already requested, then polls the backend until it has a ready replica or
// the timeout passes. It runs detached from any one caller's cancellation.
func (wk *waker) wake(parent context.Context, name, ns string) error {
	ctx, cancel := context.WithTimeout(parent, wk.timeout)
	defer cancel()
	st, err := wk.b.Function(ctx, name, ns)
	if err != nil {
		return fmt.Errorf("scale %s.%s from zero: %w", name, ns, err)
	}
	want, _, err := provider.ScaleBounds(st.Labels, math.MaxUint64)
	if err != nil || want == 0 {
		want = 1
	}
	if st.Replicas < want {
		wk.log.InfoContext(ctx, "scaling from zero", "function", name, "namespace", ns, "replicas", want)
		if err := wk.b.Scale(ctx, name, ns, want); err != nil {
			return fmt.Errorf("scale %s.%s from zero to %d: %w", name, ns, want, err)
		}
	}
	delay := wakePollMin
	for {
		_, err := wk.b.Invoker(ctx, name, ns)
		if err == nil {
			return nil
		}
		if !errors.Is(err, provider.ErrUnavailable) {
			return fmt.Errorf("scale %s.%s from zero: %w", name, ns, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s.%s has no ready replica %s after scaling from zero: %w", name, ns, wk.timeout, provider.ErrUnavailable)
		case <-time.After(delay):
		}
		delay = min(2*delay, wakePollMax)
	}
}
