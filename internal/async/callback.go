package async

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Headers of the callback request, as the OpenFaaS queue-worker sends them.
const (
	HeaderCallID          = "X-Call-Id"
	HeaderFunctionStatus  = "X-Function-Status"
	HeaderFunctionName    = "X-Function-Name"
	HeaderDurationSeconds = "X-Duration-Seconds"
	HeaderStartTime       = "X-Start-Time"
)

// deliver posts the result to the call's callback URL, retrying connection
// errors, 429 and 5xx with back-off up to the callback attempts.
func (w *worker) deliver(c Call, res result) {
	q := w.q
	log := q.o.log.With("function", w.fn, "call_id", c.ID)
	for attempt := 1; ; attempt++ {
		status, err := w.post(c, res)
		if err == nil && status < 300 {
			q.o.obs.AsyncCallback(w.fn, "delivered")
			return
		}
		final := attempt >= q.o.callbackAttempts || err == nil && status != http.StatusTooManyRequests && status < 500
		if final {
			log.Warn("async callback failed: giving up", "status", status, "err", err, "attempts", attempt)
			q.o.obs.AsyncCallback(w.fn, "failed")
			return
		}
		delay := backoff(q.o.backoff, q.o.maxBackoff, attempt)
		log.Info("async callback failed: retrying", "status", status, "err", err, "in", delay)
		q.o.obs.AsyncCallback(w.fn, "retried")
		select {
		case <-time.After(delay):
		case <-q.ctx.Done():
			return
		}
	}
}

// post sends one callback request and returns the receiver's status.
func (w *worker) post(c Call, res result) (int, error) {
	ctx, cancel := context.WithTimeout(w.q.ctx, w.q.o.client.Timeout+time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.CallbackURL, bytes.NewReader(res.body))
	if err != nil {
		return 0, fmt.Errorf("callback request: %w", err)
	}
	for k, v := range res.header {
		req.Header[k] = append([]string(nil), v...)
	}
	req.Header.Del("Content-Length")
	req.Header.Set(HeaderCallID, c.ID)
	req.Header.Set(HeaderFunctionStatus, strconv.Itoa(res.status))
	req.Header.Set(HeaderFunctionName, c.Name)
	// Start and duration describe one interval, the worker's run of the
	// call: the function's own X-Start-Time (taken later, by the
	// invocation handler) would shift it past the run's end.
	req.Header.Set(HeaderDurationSeconds, durationHeader(res.duration))
	req.Header.Set(HeaderStartTime, strconv.FormatInt(res.started.UnixNano(), 10))
	resp, err := w.q.o.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("post result to callback: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, nil
}
