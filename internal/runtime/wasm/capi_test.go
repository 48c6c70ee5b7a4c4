package wasm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// clockModule is a snapshot-shaped module whose faas_handle calls the
// shadowed clock_time_get(id, 0, ptr) and returns its errno, or 99 when the
// value read back is implausible for the clock.
func clockModule(t *testing.T, id, ptr int) []byte {
	return wat(t, fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "faas_handle") (result i32)
    (local $errno i32)
    (local.set $errno (call $clock (i32.const %d) (i64.const 0) (i32.const %d)))
    (if (i32.ne (local.get $errno) (i32.const 0)) (then (return (local.get $errno))))
    ;; monotonic: at least the one-hour offset; realtime: after 2020
    (if (i64.lt_u (i64.load (i32.const %d))
                  (select (i64.const 3600000000000) (i64.const 1577836800000000000) (i32.eq (i32.const %d) (i32.const 1))))
      (then (return (i32.const 99))))
    (i32.const 0)))`, id, ptr, ptr, id))
}

func TestCAPIClock(t *testing.T) {
	cases := []struct {
		name     string
		id, ptr  int
		wantCode int
	}{
		{"monotonic", 1, 8, 0},
		{"realtime", 0, 16, 0},
		{"process cputime not exposed", 2, 0, 58},
		{"last bytes of memory", 1, 65536 - 8, 0},
		{"pointer out of bounds", 1, 65536 - 4, 21},
		{"unknown clock", 9, 0, 28},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := deploy(t, clockModule(t, c.id, c.ptr), Config{})
			_, err := call(f, "", "")
			if c.wantCode == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, &ExitError{Code: c.wantCode}) {
				t.Fatalf("got %v, want errno %d", err, c.wantCode)
			}
		})
	}
}

func TestCAPIStdio(t *testing.T) {
	// In-memory stdin and the slot's stdout buffer carry a large body both
	// ways, call after call, in fresh and warm instances.
	body := bytes.Repeat([]byte("0123456789abcdef"), 256<<10) // 4 MiB
	for _, c := range []struct {
		name  string
		guest []byte
		mode  Mode
	}{{"c fresh", cGuest, ModeFresh}, {"go command", cmdGuest, ModeFresh}, {"go reactor", reactorGuest, ModeFresh}, {"go reactor warm", reactorGuest, ModeWarm}} {
		t.Run(c.name, func(t *testing.T) {
			f := deploy(t, c.guest, Config{Mode: c.mode, MaxConcurrency: 1})
			for i := range 3 {
				b := body[:len(body)-i*1000]
				resp, err := f.Invoke(context.Background(), &Request{RawQuery: "do=echo", Body: b})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(resp.Body, b) {
					t.Fatalf("call %d: %d bytes back, want %d", i, len(resp.Body), len(b))
				}
			}
		})
	}
}

func TestCAPIPoolingApplied(t *testing.T) {
	// A pool of 2 instance slots cannot hold 4 concurrent instances: the
	// pooling configuration reached wasmtime through the Config's C pointer.
	e := newEngineT(t, testEngine(t).cacheDir, WithPoolSize(2))
	if !e.Pooling() {
		t.Fatal("pooling is off")
	}
	m, err := e.Compile(context.Background(), cmdGuest)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.NewFunction(m, Config{Name: "pool", MaxConcurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := call(f, "do=sleep&ms=300", "")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	var ok, failed int
	for err := range errs {
		if err == nil {
			ok++
		} else if strings.Contains(err.Error(), "instantiate") {
			failed++
		} else {
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 2 || failed != 2 {
		t.Errorf("%d succeeded and %d failed to instantiate, want 2 and 2", ok, failed)
	}
	time.Sleep(50 * time.Millisecond) // let the engine release the stores
	if _, err := call(f, "", "again"); err != nil {
		t.Errorf("after the pool drained: %v", err)
	}
}

// pollSub is one WASI subscription for pollModule: tag 0 = clock (id, timeout
// in ns, abstime flag), 1 = fd_read on fd id.
type pollSub struct {
	tag, id int
	timeout int64
	abstime bool
}

// pollModule returns a module whose faas_handle calls poll_oneoff with subs
// (userdata 7, 8, ...) and returns its errno, 90 if it did not report exactly
// one event, 91 if that event's type is not wantType, 92 if its userdata is
// not wantUserdata. An abstime monotonic timeout is relative to the clock
// read at entry.
func pollModule(t *testing.T, subs []pollSub, nsubs int, wantType, wantUserdata int) []byte {
	var b strings.Builder
	for i, s := range subs {
		off := i * 48
		timeout := fmt.Sprintf("(i64.const %d)", s.timeout)
		flags := 0
		if s.abstime {
			timeout = fmt.Sprintf("(i64.add (i64.load (i32.const 512)) (i64.const %d))", s.timeout)
			flags = 1
		}
		fmt.Fprintf(&b, `(i64.store (i32.const %d) (i64.const %d))
    (i32.store8 (i32.const %d) (i32.const %d))
    (i32.store (i32.const %d) (i32.const %d))
    (i64.store (i32.const %d) %s)
    (i32.store16 (i32.const %d) (i32.const %d))
    `, off, 7+i, off+8, s.tag, off+16, s.id, off+24, timeout, off+40, flags)
	}
	return wat(t, fmt.Sprintf(`(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "faas_handle") (result i32)
    (local $e i32)
    (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 512)))
    %s
    (local.set $e (call $poll (i32.const 0) (i32.const 128) (i32.const %d) (i32.const 256)))
    (if (local.get $e) (then (return (local.get $e))))
    (if (i32.ne (i32.load (i32.const 256)) (i32.const 1)) (then (return (i32.const 90))))
    (if (i32.ne (i32.load8_u (i32.const 138)) (i32.const %d)) (then (return (i32.const 91))))
    (if (i64.ne (i64.load (i32.const 128)) (i64.const %d)) (then (return (i32.const 92))))
    (i32.const 0)))`, b.String(), nsubs, wantType, wantUserdata))
}

func TestCAPIPollOneoff(t *testing.T) {
	const ms = int64(time.Millisecond)
	cases := []struct {
		name         string
		subs         []pollSub
		nsubs        int
		wantType     int
		wantUserdata int
		wantCode     int
		minTime      time.Duration
		timeout      time.Duration
		wantErr      error
	}{
		{name: "relative monotonic sleep", subs: []pollSub{{0, 1, 30 * ms, false}}, nsubs: 1, wantType: 0, wantUserdata: 7, minTime: 30 * time.Millisecond},
		{name: "absolute monotonic sleep", subs: []pollSub{{0, 1, 40 * ms, true}}, nsubs: 1, wantType: 0, wantUserdata: 7, minTime: 40 * time.Millisecond},
		{name: "realtime sleep", subs: []pollSub{{0, 0, 20 * ms, false}}, nsubs: 1, wantType: 0, wantUserdata: 7, minTime: 20 * time.Millisecond},
		{name: "earliest of two clocks", subs: []pollSub{{0, 1, 10_000 * ms, false}, {0, 1, 20 * ms, false}}, nsubs: 2, wantType: 0, wantUserdata: 8, minTime: 20 * time.Millisecond},
		{name: "fd is ready at once", subs: []pollSub{{1, 0, 0, false}, {0, 1, 10_000 * ms, false}}, nsubs: 2, wantType: 1, wantUserdata: 7},
		{name: "no subscriptions", nsubs: 0, wantCode: 28},
		{name: "unknown clock", subs: []pollSub{{0, 9, 0, false}}, nsubs: 1, wantType: 0, wantUserdata: 7},
		{name: "too many subscriptions for memory", subs: []pollSub{{0, 1, 0, false}}, nsubs: 2000, wantCode: 21},
		{name: "sleep past the deadline", subs: []pollSub{{0, 1, 600_000 * ms, false}}, nsubs: 1, timeout: 200 * time.Millisecond, wantErr: ErrTimeout},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := deploy(t, pollModule(t, c.subs, c.nsubs, c.wantType, c.wantUserdata), Config{Timeout: c.timeout})
			start := time.Now()
			_, err := call(f, "", "")
			took := time.Since(start)
			switch {
			case c.wantErr != nil:
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("got %v, want %v", err, c.wantErr)
				}
				if took > c.timeout+time.Second {
					t.Errorf("stopped after %v, deadline %v", took, c.timeout)
				}
			case c.wantCode != 0:
				if !errors.Is(err, &ExitError{Code: c.wantCode}) {
					t.Fatalf("got %v, want errno %d", err, c.wantCode)
				}
			case err != nil:
				t.Fatal(err)
			}
			if took < c.minTime {
				t.Errorf("returned after %v, want at least %v", took, c.minTime)
			}
			if took > c.minTime+5*time.Second {
				t.Errorf("returned after %v", took)
			}
		})
	}
}

func TestPoolNotExhaustedByReleases(t *testing.T) {
	// Instances awaiting release hold pool slots; a busy function on a small
	// pool must not run out of them.
	e := newEngineT(t, testEngine(t).cacheDir, WithPoolSize(4), WithAsyncRelease(true))
	m, err := e.Compile(context.Background(), cGuest)
	if err != nil {
		t.Fatal(err)
	}
	f, err := e.NewFunction(m, Config{Name: "busy", MaxConcurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				if _, err := call(f, "", "x"); err != nil {
					t.Errorf("worker %d call %d: %v", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
