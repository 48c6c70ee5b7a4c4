package async

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/faas-wasm/faas-wasm/internal/leaktest"
	"github.com/faas-wasm/faas-wasm/provider"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

// fast are options that keep the tests short.
var fast = []Option{WithBackoff(20*time.Millisecond, 100*time.Millisecond), WithAckWait(time.Second), WithCallTimeout(5 * time.Second)}

// openQueue starts an embedded NATS server storing under dir and a queue
// over it; both are closed when the test ends (or by the returned func).
func openQueue(t *testing.T, dir string, opts ...Option) (*Queue, func()) {
	t.Helper()
	e, err := StartEmbedded(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	q, err := New(context.Background(), e.Conn(), append(append([]Option{}, fast...), opts...)...)
	if err != nil {
		e.Close()
		t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := q.Close(ctx); err != nil {
				t.Error(err)
			}
			e.Close()
		})
	}
	t.Cleanup(stop)
	return q, stop
}

// delivery is one callback request received.
type delivery struct {
	header http.Header
	body   string
}

// receiver is a callback server on loopback; status picks the answer to
// the n-th post (1-based).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	posts  atomic.Int32
	status func(n int) int
	ch     chan delivery
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{status: status, ch: make(chan delivery, 1000)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		n := int(r.posts.Add(1))
		code := http.StatusOK
		if r.status != nil {
			code = r.status(n)
		}
		if code < 300 {
			d := delivery{header: req.Header.Clone(), body: string(body)}
			r.mu.Lock()
			r.got = append(r.got, d)
			r.mu.Unlock()
			r.ch <- d
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) next(t *testing.T) delivery {
	t.Helper()
	select {
	case d := <-r.ch:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("no callback in 20s")
		return delivery{}
	}
}

func call(id, name, callback string) Call {
	return Call{ID: id, Name: name, Namespace: "ns1", Method: http.MethodPost, Path: "/", CallbackURL: callback, Body: []byte("body-" + id)}
}

// countingObserver records outcomes.
type countingObserver struct {
	mu    sync.Mutex
	calls map[string]int
	cbs   map[string]int
	done  int
}

func newObserver() *countingObserver {
	return &countingObserver{calls: map[string]int{}, cbs: map[string]int{}}
}
func (o *countingObserver) AsyncCall(fn, outcome string) {
	o.mu.Lock()
	o.calls[fn+" "+outcome]++
	o.mu.Unlock()
}
func (o *countingObserver) AsyncCallback(fn, outcome string) {
	o.mu.Lock()
	o.cbs[fn+" "+outcome]++
	o.mu.Unlock()
}
func (o *countingObserver) AsyncDone(string, time.Duration) {
	o.mu.Lock()
	o.done++
	o.mu.Unlock()
}
func (o *countingObserver) get(m map[string]int, key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return m[key]
}

func TestCallRunsThroughInvokerAndResultReachesCallback(t *testing.T) {
	obs := newObserver()
	q, _ := openQueue(t, t.TempDir(), WithObserver(obs))
	seen := make(chan *http.Request, 1)
	invoker := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		seen <- r
		w.Header().Set("X-Fn", "yes")
		w.Header().Set(HeaderStartTime, strconv.FormatInt(time.Now().Add(time.Hour).UnixNano(), 10))
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "echo %s", body)
	})
	if err := q.Start(context.Background(), invoker); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, nil)
	c := Call{ID: "id-1", Name: "echo", Namespace: "ns1", Method: http.MethodPut, Path: "/sub/a%2Fb", RawQuery: "x=1",
		Header: http.Header{"X-In": {"v"}}, CallbackURL: rcv.URL + "/cb", Body: []byte("hello")}
	before := time.Now()
	if err := q.Enqueue(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	d := rcv.next(t)
	after := time.Now()
	r := <-seen
	if r.Method != http.MethodPut || r.URL.EscapedPath() != "/function/echo.ns1/sub/a%2Fb" || r.URL.RawQuery != "x=1" ||
		r.Header.Get("X-In") != "v" || r.Header.Get("X-Call-Id") != "id-1" {
		t.Errorf("function saw %s %s %v", r.Method, r.URL, r.Header)
	}
	for k, want := range map[string]string{"X-Call-Id": "id-1", "X-Function-Status": "201", "X-Function-Name": "echo", "X-Fn": "yes", "Content-Type": "text/plain"} {
		if got := d.header.Get(k); got != want {
			t.Errorf("callback header %s = %q, want %q", k, got, want)
		}
	}
	if d.body != "echo hello" {
		t.Errorf("callback body %q", d.body)
	}
	// The callback's start and duration are the worker's run of the call,
	// not the function's X-Start-Time: the interval lies within the test's.
	ns, errStart := strconv.ParseInt(d.header.Get(HeaderStartTime), 10, 64)
	secs, errDur := strconv.ParseFloat(d.header.Get(HeaderDurationSeconds), 64)
	start, end := time.Unix(0, ns), time.Unix(0, ns).Add(time.Duration(secs*float64(time.Second)))
	if errStart != nil || errDur != nil || start.Before(before) || end.After(after) {
		t.Errorf("callback %s %q, %s %q: not within the call's run [%v, %v]", HeaderStartTime, d.header.Get(HeaderStartTime),
			HeaderDurationSeconds, d.header.Get(HeaderDurationSeconds), before, after)
	}
	waitFor(t, func() bool {
		return obs.get(obs.calls, "echo.ns1 succeeded") == 1 && obs.get(obs.cbs, "echo.ns1 delivered") == 1
	})
}

func TestRetryableStatusIsRetriedWithBackoff(t *testing.T) {
	for _, tc := range []struct {
		name       string
		attempts   int
		wantStatus string
		wantCalls  int32
	}{{"succeeds on the third try", 3, "200", 3}, {"gives up after two", 2, "503", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := openQueue(t, t.TempDir(), WithMaxAttempts(tc.attempts))
			var calls atomic.Int32
			var stamps []time.Time
			var mu sync.Mutex
			invoker := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				stamps = append(stamps, time.Now())
				mu.Unlock()
				if calls.Add(1) < 3 {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			})
			if err := q.Start(context.Background(), invoker); err != nil {
				t.Fatal(err)
			}
			rcv := newReceiver(t, nil)
			if err := q.Enqueue(context.Background(), call("r", "flaky", rcv.URL)); err != nil {
				t.Fatal(err)
			}
			d := rcv.next(t)
			if d.header.Get("X-Function-Status") != tc.wantStatus || calls.Load() != tc.wantCalls {
				t.Fatalf("status %s after %d calls, want %s after %d", d.header.Get("X-Function-Status"), calls.Load(), tc.wantStatus, tc.wantCalls)
			}
			mu.Lock()
			defer mu.Unlock()
			if gap := stamps[1].Sub(stamps[0]); gap < 20*time.Millisecond {
				t.Errorf("retry after %v, want the 20ms back-off", gap)
			}
		})
	}
}

func TestCallbackIsRetried(t *testing.T) {
	obs := newObserver()
	q, _ := openQueue(t, t.TempDir(), WithObserver(obs))
	if err := q.Start(context.Background(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, func(n int) int {
		if n < 3 {
			return http.StatusBadGateway
		}
		return http.StatusOK
	})
	if err := q.Enqueue(context.Background(), call("cb", "fn", rcv.URL)); err != nil {
		t.Fatal(err)
	}
	rcv.next(t)
	waitFor(t, func() bool {
		return obs.get(obs.cbs, "fn.ns1 retried") == 2 && obs.get(obs.cbs, "fn.ns1 delivered") == 1
	})
	// A 4xx is final: no retry.
	rcv4 := newReceiver(t, func(int) int { return http.StatusNotFound })
	if err := q.Enqueue(context.Background(), call("cb4", "fn", rcv4.URL)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return obs.get(obs.cbs, "fn.ns1 failed") == 1 })
	if n := rcv4.posts.Load(); n != 1 {
		t.Errorf("a callback answering 404 was posted %d times, want 1", n)
	}
}

func TestFullQueueRefusesWithErrQueueFull(t *testing.T) {
	obs := newObserver()
	q, _ := openQueue(t, t.TempDir(), WithMaxQueued(3), WithObserver(obs))
	for i := range 3 {
		if err := q.Enqueue(context.Background(), call(fmt.Sprint(i), "fn", "")); err != nil {
			t.Fatal(err)
		}
	}
	err := q.Enqueue(context.Background(), call("3", "fn", ""))
	if !errors.Is(err, provider.ErrQueueFull) {
		t.Fatalf("fourth call into a queue of 3: %v, want ErrQueueFull", err)
	}
	if n, err := q.Depth(context.Background()); err != nil || n != 3 {
		t.Fatalf("depth %d %v, want 3", n, err)
	}
	if obs.get(obs.calls, "fn.ns1 rejected") != 1 || obs.get(obs.calls, "fn.ns1 accepted") != 3 {
		t.Errorf("observer %v", obs.calls)
	}
	// Once the calls ran there is room again.
	done := make(chan struct{}, 10)
	if err := q.Start(context.Background(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { done <- struct{}{} })); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { n, _ := q.Depth(context.Background()); return n == 0 })
	if err := q.Enqueue(context.Background(), call("4", "fn", "")); err != nil {
		t.Fatalf("after draining: %v", err)
	}
}

func TestQueueFullByBytes(t *testing.T) {
	q, _ := openQueue(t, t.TempDir(), WithMaxBytes(4096))
	c := call("big", "fn", "")
	c.Body = make([]byte, 3000)
	if err := q.Enqueue(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	c.ID = "big2"
	if err := q.Enqueue(context.Background(), c); !errors.Is(err, provider.ErrQueueFull) {
		t.Fatalf("second 3000-byte call into 4096 bytes: %v, want ErrQueueFull", err)
	}
}

func TestTooLargeForTheServer(t *testing.T) {
	q, _ := openQueue(t, t.TempDir())
	c := call("huge", "fn", "")
	c.Body = make([]byte, 2<<20)
	if err := q.Enqueue(context.Background(), c); !errors.Is(err, provider.ErrTooLarge) {
		t.Fatalf("2 MiB call on a 1 MiB server: %v, want ErrTooLarge", err)
	}
}

func TestPerFunctionConcurrency(t *testing.T) {
	const limit = 2
	q, _ := openQueue(t, t.TempDir(), WithConcurrency(limit))
	var mu sync.Mutex
	running, peak := map[string]int{}, map[string]int{}
	release := make(chan struct{})
	var finished atomic.Int32
	invoker := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fn := strings.Split(r.URL.Path, "/")[2]
		mu.Lock()
		running[fn]++
		peak[fn] = max(peak[fn], running[fn])
		mu.Unlock()
		if strings.HasPrefix(fn, "slow") {
			<-release
		}
		mu.Lock()
		running[fn]--
		mu.Unlock()
		finished.Add(1)
	})
	if err := q.Start(context.Background(), invoker); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := q.Enqueue(context.Background(), call(fmt.Sprint("s", i), "slow", "")); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		if err := q.Enqueue(context.Background(), call(fmt.Sprint("f", i), "fast", "")); err != nil {
			t.Fatal(err)
		}
	}
	// The slow function's calls hold its slots; the other function runs.
	// The slow function's second call may reach the invoker after the fast
	// ones finished (its goroutine was not scheduled yet): wait for it.
	waitFor(t, func() bool { return finished.Load() == 5 })
	waitFor(t, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return running["slow.ns1"] == limit
	})
	time.Sleep(200 * time.Millisecond)
	close(release)
	waitFor(t, func() bool { return finished.Load() == 15 })
	mu.Lock()
	defer mu.Unlock()
	if peak["slow.ns1"] != limit || peak["fast.ns1"] > limit {
		t.Fatalf("peak concurrency %v, want %d", peak, limit)
	}
}

func TestQueuedCallsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	q, stop := openQueue(t, dir)
	rcv := newReceiver(t, nil)
	const n = 20
	for i := range n {
		if err := q.Enqueue(context.Background(), call(fmt.Sprint("c", i), "fn", rcv.URL)); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	q2, _ := openQueue(t, dir)
	if depth, err := q2.Depth(context.Background()); err != nil || depth != n {
		t.Fatalf("after restart depth %d %v, want %d", depth, err, n)
	}
	if err := q2.Start(context.Background(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for len(ids) < n {
		ids[rcv.next(t).header.Get("X-Call-Id")] = true
	}
}

func TestCallInterruptedByCloseRunsAgain(t *testing.T) {
	dir := t.TempDir()
	q, stop := openQueue(t, dir)
	started := make(chan struct{})
	if err := q.Start(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})); err != nil {
		t.Fatal(err)
	}
	rcv := newReceiver(t, nil)
	if err := q.Enqueue(context.Background(), call("again", "fn", rcv.URL)); err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	if err := q.Close(ctx); err == nil {
		t.Error("Close with a call running past its deadline returned no error")
	}
	cancel()
	stop()
	q2, _ := openQueue(t, dir)
	if err := q2.Start(context.Background(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})); err != nil {
		t.Fatal(err)
	}
	if id := rcv.next(t).header.Get("X-Call-Id"); id != "again" {
		t.Fatalf("callback for %q", id)
	}
}

func TestMalformedMessageIsDropped(t *testing.T) {
	obs := newObserver()
	dir := t.TempDir()
	e, err := StartEmbedded(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	q, err := New(context.Background(), e.Conn(), append(fast, WithObserver(obs))...)
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close(context.Background())
	if err := q.ensureWorker(context.Background(), "fn", "ns1"); err != nil {
		t.Fatal(err)
	}
	if err := e.Conn().PublishMsg(&nats.Msg{Subject: subject("fn", "ns1"), Data: []byte("garbage")}); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background(), http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Error("garbage ran") })); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return obs.get(obs.calls, "fn.ns1 invalid") == 1 })
	waitFor(t, func() bool { n, _ := q.Depth(context.Background()); return n == 0 })
}

func TestEnqueueRefusesInvalidCall(t *testing.T) {
	q, _ := openQueue(t, t.TempDir())
	if err := q.Enqueue(context.Background(), Call{ID: "x", Name: "a.b", Namespace: "n", Method: "GET", Path: "/"}); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("dotted name: %v, want ErrInvalid", err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 20s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
