package local

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/testclock"
	"github.com/faas-wasm/faas-wasm/provider"
)

func TestIdleScaleToZero(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	f := newFixture(t, WithClock(clock.Now), WithIdleInterval(2*time.Millisecond))
	d := echoSpec("sleepy")
	d.Labels = map[string]string{provider.LabelScaleZero: "true", provider.LabelScaleZeroDuration: "1m"}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	wantErr(t, f.b.Deploy(ctx, echoSpec("always")), nil)
	replicas := func(name string) uint64 {
		st, _ := f.b.Function(ctx, name, "")
		return st.AvailableReplicas
	}

	clock.Advance(50 * time.Second)
	h, _ := f.b.Invoker(ctx, "sleepy", "")
	call(t, h, "GET", "/", "")
	clock.Advance(50 * time.Second) // 100s since deploy, 50s since the call
	time.Sleep(20 * time.Millisecond)
	if replicas("sleepy") != 1 {
		t.Fatal("scaled to zero although called 50s ago")
	}

	// A call in flight keeps the function up however long it runs.
	slow, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		req, _ := http.NewRequestWithContext(slow, "GET", "/slow", nil)
		h.ServeHTTP(discard{}, req)
	}()
	waitFor(t, func() bool { return f.b.wasmBusy("sleepy") == 1 })
	clock.Advance(10 * time.Minute)
	time.Sleep(20 * time.Millisecond)
	if replicas("sleepy") != 1 {
		t.Fatal("scaled to zero with a call in flight")
	}
	cancel()
	wg.Wait()

	clock.Advance(61 * time.Second)
	waitFor(t, func() bool {
		st, _ := f.b.Function(ctx, "sleepy", "")
		return st.Replicas == 0 && st.AvailableReplicas == 0
	})
	if replicas("always") != 1 {
		t.Fatal("a function without com.openfaas.scale.zero was scaled to zero")
	}
	// Scaling up again restarts the idle clock.
	wantErr(t, f.b.Scale(ctx, "sleepy", "", 1), nil)
	time.Sleep(20 * time.Millisecond)
	if replicas("sleepy") != 1 {
		t.Fatal("scaled to zero right after scaling up")
	}
}
