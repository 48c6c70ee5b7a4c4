package async

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// worker runs the calls of one function, at most cap(slots) at once.
type worker struct {
	q     *Queue
	fn    string // "name.namespace"
	slots chan struct{}
}

// take is the consumer's message handler: it waits for a free slot and
// processes msg in its own goroutine.
func (w *worker) take(msg jetstream.Msg) {
	q := w.q
	select {
	case w.slots <- struct{}{}:
	case <-q.ctx.Done():
		return
	}
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		<-w.slots
		return // not acknowledged: it runs again after a restart
	}
	q.calls.Add(1)
	q.mu.Unlock()
	go func() {
		defer q.calls.Done()
		defer func() { <-w.slots }()
		w.process(msg)
	}()
}

// result is a function's answer kept for the callback.
type result struct {
	status   int
	header   http.Header
	body     []byte
	started  time.Time
	duration time.Duration
}

// process runs one delivery of a call: retried later on a retryable
// status while attempts remain, else its result is posted to the callback
// and the call acknowledged.
func (w *worker) process(msg jetstream.Msg) {
	q := w.q
	c, err := Unmarshal(msg.Data())
	if err != nil {
		q.o.log.Error("async queue: dropping a malformed call", "function", w.fn, "err", err)
		q.o.obs.AsyncCall(w.fn, "invalid")
		_ = msg.Term()
		return
	}
	attempt := 1
	if meta, err := msg.Metadata(); err == nil {
		attempt = int(meta.NumDelivered)
	}
	stop := keepClaim(q.ctx, msg, q.o.ackWait/3)
	defer stop()
	res := w.invoke(c)
	log := q.o.log.With("function", w.fn, "call_id", c.ID, "attempt", attempt, "status", res.status)
	if retryable(res.status) && attempt < q.o.maxAttempts {
		delay := backoff(q.o.backoff, q.o.maxBackoff, attempt)
		log.Info("async call failed: retrying", "in", delay)
		q.o.obs.AsyncCall(w.fn, "retried")
		_ = msg.NakWithDelay(delay)
		return
	}
	outcome := "succeeded"
	if res.status < 200 || res.status > 399 {
		outcome = "failed"
		log.Warn("async call failed")
	}
	q.o.obs.AsyncCall(w.fn, outcome)
	if c.CallbackURL != "" {
		w.deliver(c, res)
	}
	if q.ctx.Err() != nil {
		return // cancelled at shutdown: run again later
	}
	if err := msg.DoubleAck(q.ctx); err != nil {
		log.Warn("async queue: acknowledge", "err", err)
		return
	}
	q.o.obs.AsyncDone(w.fn, time.Since(c.Submitted))
}

// invoke runs the call through the synchronous invocation handler.
func (w *worker) invoke(c Call) (res result) {
	q := w.q
	ctx, cancel := context.WithTimeout(q.ctx, q.o.callTimeout)
	defer cancel()
	res.started = time.Now()
	defer func() {
		res.duration = time.Since(res.started)
		if p := recover(); p != nil {
			q.o.log.Error("async call panicked", "function", w.fn, "call_id", c.ID, "panic", p)
			res = result{status: http.StatusInternalServerError, started: res.started, duration: res.duration}
		}
	}()
	u, err := c.functionURL()
	if err != nil { // validated on decode
		return result{status: http.StatusBadRequest, body: []byte(err.Error())}
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, u.String(), bytes.NewReader(c.Body))
	if err != nil {
		return result{status: http.StatusBadRequest, body: []byte(err.Error())}
	}
	req.RequestURI = u.RequestURI()
	req.Header = c.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	req.Header.Set("X-Call-Id", c.ID)
	req.RemoteAddr = "127.0.0.1:0"
	rec := &recorder{header: http.Header{}, max: q.o.maxResultBytes}
	q.invoker.ServeHTTP(rec, req)
	if rec.cut {
		q.o.log.Warn("async call result cut for the callback", "function", w.fn, "call_id", c.ID, "limit_bytes", q.o.maxResultBytes)
	}
	res.status, res.header, res.body = rec.statusCode(), rec.header, rec.body.Bytes()
	return res
}

// keepClaim tells the server every interval that msg is still being
// worked on, until the returned function is called.
func keepClaim(ctx context.Context, msg jetstream.Msg, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		every(ctx, max(interval, 10*time.Millisecond), func(context.Context) { _ = msg.InProgress() })
	}()
	return func() { cancel(); <-done }
}

// every calls f each interval until ctx is done.
func every(ctx context.Context, interval time.Duration, f func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// retryable reports whether a call answering status may succeed later.
func retryable(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// backoff is the delay after the attempt-th failure: first doubled for
// each earlier failure, at most max.
func backoff(first, max time.Duration, attempt int) time.Duration {
	d := first
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// recorder is the http.ResponseWriter a call runs against: it keeps the
// status, the headers and up to max bytes of the body.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	max    int64
	cut    bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	if room := r.max - int64(r.body.Len()); int64(len(p)) > room {
		r.cut = true
		r.body.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return r.body.Write(p)
}

func (r *recorder) statusCode() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// durationHeader formats a duration as the queue-worker does (seconds, %f).
func durationHeader(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 6, 64)
}
