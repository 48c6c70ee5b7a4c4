package autoscale

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/testclock"
	"github.com/faas-wasm/faas-wasm/provider"
)

const (
	testInterval = 2 * time.Second
	testCooldown = 30 * time.Second
)

// phase is a stretch of time during which a function receives a steady
// load; passes run every testInterval; at its end the function must have
// want replicas.
type phase struct {
	d         time.Duration
	rps, conc float64
	inflight  int64
	set       int // replicas set by someone else at the phase's start; -1 for none
	want      uint64
}

func p(d time.Duration, rps, conc float64, want uint64) phase {
	return phase{d: d, rps: rps, conc: conc, set: -1, want: want}
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestDecisions(t *testing.T) {
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	busy := phase{d: 30 * time.Second, conc: 1, inflight: 1, set: -1, want: 1}
	external := phase{d: 2 * time.Second, set: 4, want: 4}
	for _, tc := range []struct {
		name      string
		labels    map[string]string
		initial   uint64
		usage     *provider.FunctionUsage
		phases    []phase
		noScaling bool
		opts      []Option
	}{
		{name: "rps above target scales up at once", labels: l(provider.LabelScaleTarget, "10"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(2*time.Second, 45, 0, 5)}},
		{name: "capacity is the average in flight", labels: l(provider.LabelScaleType, "capacity", provider.LabelScaleTarget, "2"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(2*time.Second, 0, 7, 4)}},
		{name: "bounded by max", labels: l(provider.LabelScaleTarget, "10", provider.LabelScaleMax, "3"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(2*time.Second, 500, 0, 3)}},
		{name: "default max is the option", labels: l(provider.LabelScaleTarget, "1"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(2*time.Second, 500, 0, 20)}},
		{name: "scale-down waits for the cool-down then goes to min", labels: l(provider.LabelScaleTarget, "10"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(4*time.Second, 50, 0, 5), p(28*time.Second, 0, 0, 5), p(6*time.Second, 0, 0, 1)}},
		{name: "min floors scale-down", labels: l(provider.LabelScaleTarget, "10", provider.LabelScaleMin, "2"), initial: 2,
			phases: []phase{p(2*time.Second, 0, 0, 2), p(2*time.Second, 100, 0, 10), p(40*time.Second, 0, 0, 2)}},
		{name: "a dip shorter than the window keeps replicas", labels: l(provider.LabelScaleTarget, "10"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(2*time.Second, 50, 0, 5), p(30*time.Second, 50, 0, 5),
				p(10*time.Second, 0, 0, 5), p(30*time.Second, 0, 0, 1)}},
		{name: "idle function goes to zero", labels: l(provider.LabelScaleZero, "true", provider.LabelScaleZeroDuration, "20s"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(16*time.Second, 0, 0, 1), p(4*time.Second, 0, 0, 0)}},
		{name: "without load scaling an idle function still goes to zero", labels: l(provider.LabelScaleZero, "true", provider.LabelScaleZeroDuration, "20s"), initial: 1,
			opts:   []Option{WithLoadScaling(false)},
			phases: []phase{p(2*time.Second, 0, 0, 1), p(16*time.Second, 0, 0, 1), p(4*time.Second, 0, 0, 0)}},
		{name: "without load scaling load changes nothing", labels: l(provider.LabelScaleTarget, "10"), initial: 2,
			opts:   []Option{WithLoadScaling(false)},
			phases: []phase{p(10*time.Second, 500, 50, 2), p(120*time.Second, 0, 0, 2)}, noScaling: true},
		{name: "a call in flight is not idle", labels: l(provider.LabelScaleZero, "true", provider.LabelScaleZeroDuration, "20s"), initial: 1,
			phases: []phase{busy}, noScaling: true},
		{name: "a function at zero is left to the HTTP layer", labels: l(provider.LabelScaleTarget, "10"), initial: 0,
			phases: []phase{p(10*time.Second, 100, 10, 0)}, noScaling: true},
		{name: "an increase by someone else restarts the cool-down", labels: l(provider.LabelScaleTarget, "10"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), external, p(28*time.Second, 0, 0, 4), p(6*time.Second, 0, 0, 1)}},
		{name: "cpu uses reported usage", labels: l(provider.LabelScaleType, "cpu", provider.LabelScaleTarget, "300"), initial: 1,
			usage:  &provider.FunctionUsage{CPU: 900},
			phases: []phase{p(2*time.Second, 0, 0, 3)}},
		{name: "cpu without usage falls back to capacity", labels: l(provider.LabelScaleType, "cpu", provider.LabelScaleTarget, "2"), initial: 1,
			phases: []phase{p(2*time.Second, 0, 0, 1), p(2*time.Second, 0, 6, 3)}},
		{name: "above max is brought down at once", labels: l(provider.LabelScaleMax, "3"), initial: 8,
			phases: []phase{p(2*time.Second, 0, 0, 3)}},
		{name: "unreadable labels are left alone", labels: l(provider.LabelScaleType, "bogus"), initial: 2,
			phases: []phase{p(10*time.Second, 500, 50, 2)}, noScaling: true},
		{name: "unreadable target is left alone", labels: l(provider.LabelScaleTarget, "-1"), initial: 2,
			phases: []phase{p(10*time.Second, 500, 50, 2)}, noScaling: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := testclock.New(time.Unix(1_700_000_000, 0))
			fb := newFakeBackend()
			fb.add(provider.FunctionStatus{Name: "fn", Labels: tc.labels, Replicas: tc.initial, Usage: tc.usage})
			src := newFakeLoad(clock)
			a, err := New(fb, src, append([]Option{WithClock(clock.Now), WithInterval(testInterval), WithCooldown(testCooldown), WithLogger(discard())}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if err := a.Reconcile(context.Background()); err != nil {
				t.Fatal(err)
			}
			var elapsed time.Duration
			for i, ph := range tc.phases {
				src.rate("fn", ph.rps, ph.conc, ph.inflight)
				if ph.set >= 0 {
					fb.set("fn", uint64(ph.set))
				}
				for d := time.Duration(0); d < ph.d; d += testInterval {
					clock.Advance(testInterval)
					elapsed += testInterval
					if err := a.Reconcile(context.Background()); err != nil {
						t.Fatal(err)
					}
				}
				if got := fb.replicas("fn"); got != ph.want {
					t.Fatalf("phase %d (t=%s): %d replicas, want %d (scales %v)", i, elapsed, got, ph.want, fb.scales)
				}
			}
			if tc.noScaling && len(fb.scales) > 0 {
				t.Fatalf("scaled %v, want no Scale call", fb.scales)
			}
		})
	}
}

// oneFunctionPassed returns an autoscaler over one function "fn" (target 1,
// 1 replica, no load yet) after its first pass, with its backend, load and clock.
func oneFunctionPassed(t *testing.T) (*Autoscaler, *fakeBackend, *fakeLoad, *testclock.Clock) {
	t.Helper()
	clock := testclock.New(time.Unix(1_700_000_000, 0))
	fb := newFakeBackend()
	fb.add(provider.FunctionStatus{Name: "fn", Labels: map[string]string{provider.LabelScaleTarget: "1"}, Replicas: 1})
	src := newFakeLoad(clock)
	a, err := New(fb, src, WithClock(clock.Now), WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a, fb, src, clock
}

func TestReconcileReportsScaleErrors(t *testing.T) {
	a, fb, src, clock := oneFunctionPassed(t)
	fb.fail = errors.New("disk on fire")
	src.rate("fn", 10, 0, 0)
	clock.Advance(DefaultInterval)
	if err := a.Reconcile(context.Background()); err == nil || !errors.Is(err, fb.fail) {
		t.Fatalf("Reconcile = %v, want the scale error", err)
	}
}

// TestScaleSkipsWhenStatusChanged is the regression test for a race the
// benchmark hit: a pass listed a function, the function was then scaled to
// zero through the API, and the pass scaled it from its stale list —
// bringing back replicas removed on purpose.
func TestScaleSkipsWhenStatusChanged(t *testing.T) {
	a, fb, src, clock := oneFunctionPassed(t)
	src.rate("fn", 10, 0, 0) // a load that asks for more replicas
	clock.Advance(DefaultInterval)
	fb.beforeFunction = func() { fb.set("fn", 0) } // the API call lands between list and scale
	if err := a.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fb.replicas("fn"); got != 0 || len(fb.scales) != 0 {
		t.Fatalf("replicas %d after scale calls %v; want 0 and no scale: the pass acted on a stale list", got, fb.scales)
	}
	fb.beforeFunction = nil
	fb.set("fn", 1)
	clock.Advance(DefaultInterval)
	if err := a.Reconcile(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := fb.replicas("fn"); got <= 1 {
		t.Fatalf("replicas %d: with a fresh status the load must scale the function up", got)
	}
}

func TestNewRejects(t *testing.T) {
	fb, src := newFakeBackend(), newFakeLoad(testclock.New(time.Time{}))
	for _, tc := range []struct {
		name string
		opts []Option
	}{
		{"zero interval", []Option{WithInterval(0)}},
		{"negative cool-down", []Option{WithCooldown(-time.Second)}},
		{"zero target", []Option{WithDefaultTarget(0)}},
		{"unknown type", []Option{WithDefaultType("memory")}},
		{"zero max", []Option{WithMaxReplicas(0)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(fb, src, tc.opts...); !errors.Is(err, provider.ErrInvalid) {
				t.Fatalf("New = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := New(nil, src); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("New without backend = %v, want ErrInvalid", err)
	}
}

func TestRunStopsWithContext(t *testing.T) {
	fb := newFakeBackend()
	a, err := New(fb, newFakeLoad(testclock.New(time.Time{})), WithInterval(time.Millisecond), WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
