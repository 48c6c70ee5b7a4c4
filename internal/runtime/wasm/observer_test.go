package wasm

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// recorder is an Observer that records what it is told.
type recorder struct {
	mu     sync.Mutex
	loads  []bool
	events []string
}

func (r *recorder) ModuleLoaded(cached bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loads = append(r.loads, cached)
}

func (r *recorder) GuestCallDone(fn, outcome string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fn+" "+outcome)
}

func TestObserver(t *testing.T) {
	dir := t.TempDir()
	var rec recorder
	e := newEngineT(t, dir, WithPoolSize(4), WithObserver(&rec))
	m, err := e.Compile(context.Background(), cGuest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Compile(context.Background(), cGuest); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rec.loads, []bool{false, true}) {
		t.Errorf("loads %v, want a miss then a hit", rec.loads)
	}
	f, err := e.NewFunction(m, Config{Name: "obs", Namespace: "ns", Timeout: 200 * time.Millisecond, MemoryLimit: 32 << 20, MaxResponseBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	queries := []string{"", "do=trap", "do=loop", "do=bomb", "do=bigout"}
	for _, q := range queries {
		call(f, q, "x")
	}
	want := []string{OutcomeOK, OutcomeTrap, OutcomeTimeout, OutcomeMemoryLimit, OutcomeResponseTooLarge}
	for i := range want {
		want[i] = "obs.ns " + want[i]
	}
	if !slices.Equal(rec.events, want) {
		t.Errorf("events\n%v\nwant\n%v", rec.events, want)
	}
}

func TestOutcome(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, OutcomeOK},
		{&ExitError{Code: 1}, OutcomeExit},
		{fmt.Errorf("invoke f: %w", &TrapError{Message: "unreachable"}), OutcomeTrap},
		{fmt.Errorf("%w: %w", ErrMemoryLimit, &TrapError{}), OutcomeMemoryLimit},
		{fmt.Errorf("%w after 1s", ErrTimeout), OutcomeTimeout},
		{ErrResponseTooLarge, OutcomeResponseTooLarge},
		{ErrClosed, OutcomeError},
		{context.Canceled, OutcomeError},
	}
	for _, c := range cases {
		if got := Outcome(c.err); got != c.want {
			t.Errorf("Outcome(%v) = %s, want %s", c.err, got, c.want)
		}
	}
}
