package wasm

import (
	"net/http"
	"strconv"
	"time"
)

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
