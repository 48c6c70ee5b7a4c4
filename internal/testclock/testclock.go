// Package testclock is a manual clock for tests of time-driven logic (idle
// scale to zero, autoscaling decisions): its time moves only when the test
// advances it, so a test can cross a threshold without sleeping.
//
// It has no timers or tickers: code under test that waits on real time
// still does; only what it reads through Now is faked.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time that tests set; safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock that reads start until advanced.
func New(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time; pass it where code takes a func() time.Time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
