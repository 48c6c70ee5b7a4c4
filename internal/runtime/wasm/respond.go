package wasm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// ReadBody reads a request's body for an invocation, at most limit bytes
// (no limit when limit ≤ 0). When it cannot, it answers the request itself
// — 413 for a body over the limit, 400 for a failed read — and returns
// false. The local backend and the node runner both read with it. A request
// without a body (nil or http.NoBody, as a server gives a GET) reads as nil
// without allocating.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	var src io.Reader = r.Body
	if limit > 0 {
		src = http.MaxBytesReader(w, r.Body, limit)
	}
	body, err := io.ReadAll(src)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		http.Error(w, fmt.Sprintf("request body larger than %d bytes", tooLarge.Limit), http.StatusRequestEntityTooLarge)
		return nil, false
	case err != nil:
		http.Error(w, fmt.Sprintf("reading the request body: %v", err), http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

// WriteResponse writes a guest's answer to w: its headers, Content-Length,
// X-Duration-Seconds (elapsed, unless the guest set it), then status (200
// when 0) and body. The local backend and the node runner both answer with it.
func WriteResponse(w http.ResponseWriter, status int, header http.Header, body []byte, elapsed time.Duration) {
	h := w.Header()
	for k, v := range header {
		h[k] = v
	}
	if h.Get("X-Duration-Seconds") == "" {
		h.Set("X-Duration-Seconds", strconv.FormatFloat(elapsed.Seconds(), 'f', 6, 64))
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	w.Write(body)
}

// WriteError answers an invocation of function name that failed with err:
// "function NAME: ERR" with the status ErrorStatus gives. The local backend
// and the node runner both answer with it, so a fault reads the same whether
// a pod or the provider served the call.
func WriteError(w http.ResponseWriter, name string, err error) {
	http.Error(w, fmt.Sprintf("function %s: %v", name, err), ErrorStatus(err))
}

// ErrorStatus is the HTTP status of a failed invocation: 504 when the guest
// ran out of time (ErrTimeout) or the caller's context ended, 502 when its
// response was too large (ErrResponseTooLarge), 500 for every other fault
// (a trap, a non-zero exit, the memory limit).
func ErrorStatus(err error) int {
	switch {
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return http.StatusGatewayTimeout
	case errors.Is(err, ErrResponseTooLarge):
		return http.StatusBadGateway
	default:
		return http.StatusInternalServerError
	}
}
