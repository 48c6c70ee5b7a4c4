package idle

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	tests := []struct {
		name     string
		after    time.Duration
		replicas uint64
		inflight int64
		idleFor  time.Duration
		want     bool
	}{
		{"idle long enough", time.Minute, 1, 0, time.Minute, true},
		{"idle longer", time.Minute, 3, 0, time.Hour, true},
		{"used recently", time.Minute, 1, 0, time.Minute - time.Nanosecond, false},
		{"call in flight", time.Minute, 1, 1, time.Hour, false},
		{"already at zero", time.Minute, 0, 0, time.Hour, false},
		{"not labelled", 0, 1, 0, time.Hour, false},
		{"negative duration", -time.Second, 1, 0, time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Due(tt.after, tt.replicas, tt.inflight, now.Add(-tt.idleFor), now); got != tt.want {
				t.Fatalf("Due = %v, want %v", got, tt.want)
			}
		})
	}
}

// Loop scans on every tick, returns once its context is cancelled and
// scans no more.
func TestLoop(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var scans atomic.Int32
	done := make(chan struct{})
	go func() {
		Loop(ctx, time.Millisecond, func(context.Context) {
			if scans.Add(1) == 3 {
				cancel()
			}
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Loop did not return after its context was cancelled")
	}
	// A tick that is ready together with the cancellation may still scan.
	n := scans.Load()
	if n < 3 {
		t.Fatalf("%d scans, want at least 3", n)
	}
	time.Sleep(10 * time.Millisecond)
	if after := scans.Load(); after != n {
		t.Fatalf("%d scans after Loop returned", after-n)
	}
}
