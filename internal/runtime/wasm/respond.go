package wasm

import (
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
