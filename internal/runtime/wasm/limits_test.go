package wasm

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestHostileModules runs each hostile behaviour of the Go and C guests and
// checks it ends in a clear error within its limits, while another function
// in the same engine keeps answering.
func TestHostileModules(t *testing.T) {
	healthy := deploy(t, cGuest, Config{Name: "healthy"})
	stop := make(chan struct{})
	var served, failed atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := call(healthy, "", "ping")
			if err != nil || string(resp.Body) != "ping" {
				failed.Add(1)
				t.Errorf("healthy function failed during hostile tests: %v", err)
				return
			}
			served.Add(1)
			time.Sleep(time.Millisecond)
		}
	}()

	limits := Config{Timeout: 500 * time.Millisecond, MemoryLimit: 64 << 20, MaxResponseBytes: 1 << 20}
	isTrap := func(err error) bool { return errors.Is(err, &TrapError{}) }
	isTrapOrExit := func(err error) bool { return errors.Is(err, &TrapError{}) || errors.Is(err, &ExitError{}) }
	cases := []struct {
		guest, query string
		check        func(error) bool
		want         string
	}{
		{"go", "do=loop", func(err error) bool { return errors.Is(err, ErrTimeout) }, "ErrTimeout"},
		{"c", "do=loop", func(err error) bool { return errors.Is(err, ErrTimeout) }, "ErrTimeout"},
		{"go", "do=bomb", func(err error) bool { return errors.Is(err, ErrMemoryLimit) }, "ErrMemoryLimit"},
		{"c", "do=bomb", func(err error) bool { return errors.Is(err, ErrMemoryLimit) && isTrap(err) }, "ErrMemoryLimit + trap"},
		{"go", "do=recurse", isTrapOrExit, "a trap or an exit"},
		{"c", "do=recurse", isTrap, "a trap (stack overflow)"},
		{"go", "do=bigout", func(err error) bool { return errors.Is(err, ErrResponseTooLarge) }, "ErrResponseTooLarge"},
		{"c", "do=bigout", func(err error) bool { return errors.Is(err, ErrResponseTooLarge) }, "ErrResponseTooLarge"},
		{"c", "do=trap", isTrap, "a trap"},
		{"go", "do=sleep&ms=600000", func(err error) bool { return errors.Is(err, ErrTimeout) }, "ErrTimeout (asleep in poll_oneoff)"},
		{"go", "do=logflood", func(err error) bool { return errors.Is(err, ErrResponseTooLarge) }, "ErrResponseTooLarge (stderr)"},
		{"go", "do=panic", isTrapOrExit, "an exit"},
	}
	for _, c := range cases {
		t.Run(c.guest+"/"+c.query, func(t *testing.T) {
			guest := cmdGuest
			if c.guest == "c" {
				guest = cGuest
			}
			f := deploy(t, guest, limits)
			start := time.Now()
			_, err := call(f, c.query, "")
			took := time.Since(start)
			if err == nil || !c.check(err) {
				t.Fatalf("got %v, want %s", err, c.want)
			}
			if took > 5*time.Second {
				t.Errorf("took %v to fail", took)
			}
			// A guest recursing without end leaves thousands of frames:
			// the error, which callers answer and log, keeps a few.
			if len(err.Error()) > 4<<10 {
				t.Errorf("error of %d bytes: %.300s", len(err.Error()), err)
			}
			t.Logf("%v after %v", err, took.Round(time.Millisecond))
			// The same function still serves a normal request afterwards.
			if resp, err := call(f, "", "after"); err != nil || resp.Status != 200 {
				t.Errorf("function unusable after hostile call: %v", err)
			}
		})
	}
	t.Run("read a host file", func(t *testing.T) {
		f := deploy(t, cGuest, limits)
		resp, err := call(f, "read=/etc/hostname", "")
		if err != nil || resp.Status != 403 {
			t.Errorf("got %v %v, want 403", resp, err)
		}
	})
	close(stop)
	wg.Wait()
	if served.Load() == 0 || failed.Load() != 0 {
		t.Errorf("healthy function: %d served, %d failed", served.Load(), failed.Load())
	}
	t.Logf("healthy function served %d requests meanwhile", served.Load())
}

func TestHostileConcurrent(t *testing.T) {
	// Hostile calls running at the same time as healthy calls of another function.
	loop := deploy(t, cmdGuest, Config{Timeout: 300 * time.Millisecond, MaxConcurrency: 2})
	bomb := deploy(t, cGuest, Config{MemoryLimit: 32 << 20, MaxConcurrency: 2})
	healthy := deploy(t, reactorGuest, Config{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 2 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := call(loop, "do=loop", ""); !errors.Is(err, ErrTimeout) {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := call(bomb, "do=bomb", ""); !errors.Is(err, ErrMemoryLimit) {
				errs <- err
			}
		}()
	}
	for i := range 20 {
		resp, err := call(healthy, "do=echo", "hi")
		if err != nil || string(resp.Body) != "hi" {
			t.Fatalf("healthy call %d: %v", i, err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("hostile call gave the wrong error: %v", err)
	}
}

func TestCancellation(t *testing.T) {
	f := deploy(t, cmdGuest, Config{Timeout: time.Minute})
	cases := []struct {
		name   string
		query  string
		ctx    func() (context.Context, context.CancelFunc)
		target []error
	}{
		{"cancel", "do=loop", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, []error{context.Canceled}},
		{"deadline", "do=loop", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, []error{ErrTimeout, context.DeadlineExceeded}},
		{"cancel asleep", "do=sleep&ms=600000", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, []error{context.Canceled}},
		{"deadline asleep", "do=sleep&ms=600000", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, []error{ErrTimeout, context.DeadlineExceeded}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := c.ctx()
			defer cancel()
			start := time.Now()
			_, err := f.Invoke(ctx, &Request{RawQuery: c.query})
			for _, target := range c.target {
				if !errors.Is(err, target) {
					t.Errorf("got %v, want it to wrap %v", err, target)
				}
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("interrupting took %v", took)
			}
		})
	}
}

func TestMaxConcurrency(t *testing.T) {
	f := deploy(t, cmdGuest, Config{MaxConcurrency: 1})
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		close(started)
		_, err := call(f, "do=sleep&ms=500", "")
		done <- err
	}()
	<-started
	time.Sleep(100 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := f.Invoke(ctx, &Request{}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second call with the only slot busy: got %v, want DeadlineExceeded", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("first call: %v", err)
	}
	if _, err := call(f, "", "x"); err != nil {
		t.Errorf("after the slot is free: %v", err)
	}
}

func TestClose(t *testing.T) {
	f := deploy(t, cmdGuest, Config{MaxConcurrency: 1})
	done := make(chan error, 1)
	go func() {
		_, err := call(f, "do=sleep&ms=200", "")
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	waiter := make(chan error, 1)
	go func() {
		_, err := call(f, "", "")
		waiter <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("running call: %v", err)
	}
	if err := <-waiter; !errors.Is(err, ErrClosed) {
		t.Errorf("waiting call: got %v, want ErrClosed", err)
	}
	if _, err := call(f, "", ""); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: got %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestTickerSleepsWhenIdle(t *testing.T) {
	e := newEngineT(t, testEngine(t).cacheDir, WithPoolSize(4))
	m, err := e.Compile(context.Background(), cGuest)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.NewFunction(m, Config{Name: "ticks", Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	time.Sleep(50 * time.Millisecond)
	if n := e.ticks.Load(); n != 0 {
		t.Errorf("idle engine ticked %d times", n)
	}
	if _, err := call(f, "do=loop", ""); !errors.Is(err, ErrTimeout) {
		t.Fatalf("loop: %v", err)
	}
	busy := e.ticks.Load()
	if busy < 10 {
		t.Errorf("%d ticks during a 200 ms call", busy)
	}
	// The ticker may still advance once or twice after the call (a tick
	// already due, a wake-up left from the call's start); on a loaded machine
	// those land late. What must hold is that it then goes quiet.
	for deadline := time.Now().Add(2 * time.Second); ; {
		before := e.ticks.Load()
		time.Sleep(50 * time.Millisecond)
		after := e.ticks.Load()
		if after == before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine kept ticking 2 s after the call: %d -> %d in 50 ms", before, after)
		}
	}
}
