package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// neverReady makes echo's requested replicas never get ready.
func neverReady(e *testEnv, replicas uint64) {
	e.fb.mu.Lock()
	defer e.fb.mu.Unlock()
	fn := e.fb.functions[key("echo", provider.DefaultNamespace)]
	fn.status.Replicas, fn.readyAt = replicas, time.Now().Add(time.Hour)
	e.fb.readyDelay = 0
}

// TestWakeRescalesAfterRace is the regression test for the 30 s stall the
// benchmark found: a wake-up saw replicas requested (so did not scale), a
// scale to zero then removed them, and the waiting call — and a later call
// joining the same wake-up — hung until the timeout. The wake-up must scale
// again while callers wait.
func TestWakeRescalesAfterRace(t *testing.T) {
	e := newEnv(t, Config{ScaleFromZeroTimeout: 5 * time.Second})
	e.deploy("echo", "", map[string]string{provider.LabelScaleMin: "0"})
	neverReady(e, 1)
	first := make(chan int, 1)
	go func() {
		resp, _ := e.do("POST", "/function/echo", "first")
		first <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	if err := e.fb.Scale(context.Background(), "echo", provider.DefaultNamespace, 0); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	resp, body := e.do("POST", "/function/echo", "second")
	if resp.StatusCode != 200 || <-first != 200 {
		t.Fatalf("second call %d %q; both calls must be answered after the race", resp.StatusCode, body)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Fatalf("second call waited %s: the wake-up did not scale up again", waited)
	}
}

// TestWakeKeepsNewerScale: a client's scale to 2 lands after the wake-up
// read the function at zero and before it scaled; the wake-up must not
// overwrite it with the function's minimum. Regression: it scaled to 1.
func TestWakeKeepsNewerScale(t *testing.T) {
	e := newEnv(t, Config{ScaleFromZeroTimeout: 5 * time.Second})
	e.deploy("echo", "", map[string]string{provider.LabelScaleMin: "0"})
	if err := e.fb.Scale(context.Background(), "echo", provider.DefaultNamespace, 0); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	e.fb.mu.Lock()
	e.fb.afterStatus = func() {
		once.Do(func() {
			if err := e.fb.Scale(context.Background(), "echo", provider.DefaultNamespace, 2); err != nil {
				t.Error(err)
			}
		})
	}
	e.fb.mu.Unlock()
	if resp, body := e.do("POST", "/function/echo", "x"); resp.StatusCode != 200 {
		t.Fatalf("call %d %q", resp.StatusCode, body)
	}
	st, err := e.fb.Function(context.Background(), "echo", provider.DefaultNamespace)
	if err != nil {
		t.Fatal(err)
	}
	if st.Replicas != 2 {
		t.Fatalf("replicas = %d after the wake-up, want the client's 2 (scales: %v)", st.Replicas, e.fb.scaleCalls())
	}
}

// TestWakeEndsWhenCallersLeave: once every waiting caller has gone, the
// wake-up stops, so a scale to zero made afterwards on purpose stays at
// zero, and the next call starts a fresh wake-up that answers at once.
func TestWakeEndsWhenCallersLeave(t *testing.T) {
	e := newEnv(t, Config{ScaleFromZeroTimeout: time.Minute})
	e.deploy("echo", "", map[string]string{provider.LabelScaleMin: "0"})
	neverReady(e, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	// A GET: Go's server notices a client gone only once the request body is read.
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/function/echo", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := e.srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("call answered %d, want the client to give up", resp.StatusCode)
	}
	if err := e.fb.Scale(context.Background(), "echo", provider.DefaultNamespace, 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // several poll periods of a wake-up, were one still running
	if st, err := e.fb.Function(context.Background(), "echo", provider.DefaultNamespace); err != nil || st.Replicas != 0 {
		t.Fatalf("replicas %d (%v) after the callers left, want 0: an abandoned wake-up scaled up", st.Replicas, err)
	}
	if got := e.fb.scaleCalls(); !slices.Equal(got, []uint64{0}) {
		t.Fatalf("scale calls %v, want only the explicit scale to 0", got)
	}
	resp, body := e.do("POST", "/function/echo", "fresh")
	if resp.StatusCode != 200 {
		t.Fatalf("next call %d %q, want 200 from a fresh wake-up", resp.StatusCode, body)
	}
	if got := e.fb.scaleCalls(); !slices.Equal(got, []uint64{0, 1}) {
		t.Fatalf("scale calls %v, want [0 1]", got)
	}
}

// TestWakeNotForGoneCaller: a call whose client has already gone when it
// finds the function at zero starts no wake-up. The benchmark's
// scale-to-zero rounds saw functions woken right after their scale to zero
// by calls of the previous phase that had been abandoned.
func TestWakeNotForGoneCaller(t *testing.T) {
	e := newEnv(t, Config{ScaleFromZeroTimeout: time.Minute})
	e.deploy("echo", "", map[string]string{provider.LabelScaleMin: "0"})
	if err := e.fb.Scale(context.Background(), "echo", provider.DefaultNamespace, 0); err != nil {
		t.Fatal(err)
	}
	wk := newWaker(e.fb, time.Minute, slog.New(slog.DiscardHandler), nopObserver{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := wk.invoker(ctx, "echo", provider.DefaultNamespace); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("invoker for a gone caller: %v, want ErrUnavailable", err)
	}
	time.Sleep(50 * time.Millisecond)
	if got := e.fb.scaleCalls(); !slices.Equal(got, []uint64{0}) {
		t.Fatalf("scale calls %v, want only the explicit scale to 0", got)
	}
}
