package containerdtest

import (
	"errors"
	"sync"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/testenv"
)

// Shared is a harness (a Daemon and what a package's tests put on it) that
// all tests of a package share: it is started on first use, so tests and
// fuzz targets that need none start none, and closed once by TestMain
// after all tests ran, also when they failed.
type Shared[H any] struct {
	start   func() (H, error)
	stop    func(H)
	once    sync.Once
	h       H
	err     error
	started bool
}

// NewShared returns a Shared that start creates on first use and stop
// closes. When start fails it must close what it created itself; an error
// wrapping ErrUnavailable makes the tests skip instead of fail.
func NewShared[H any](start func() (H, error), stop func(H)) *Shared[H] {
	return &Shared[H]{start: start, stop: stop}
}

// Get returns the harness, starting it on the first call. Every call skips
// tb when the start reported ErrUnavailable (fails it under CI=true, see
// testenv.Missing) and fails it on any other start error.
func (s *Shared[H]) Get(tb testing.TB) H {
	tb.Helper()
	s.once.Do(func() {
		s.h, s.err = s.start()
		s.started = s.err == nil
	})
	if errors.Is(s.err, ErrUnavailable) {
		testenv.Missing(tb, s.err)
	}
	if s.err != nil {
		tb.Fatalf("shared containerd harness: %v", s.err)
	}
	return s.h
}

// Close stops the harness if Get started it; TestMain calls it after
// m.Run, when no test runs any more.
func (s *Shared[H]) Close() {
	if s.started {
		s.stop(s.h)
		s.started = false
	}
}
