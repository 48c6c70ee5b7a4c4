package fn

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// HealthPath is the path answered with 200 by [Handler] without calling the
// function, as the OpenFaaS watchdogs do.
const HealthPath = "/_/health"

// DurationHeader is the response header that carries the handler's run time in
// seconds, set on every response by [Handler].
const DurationHeader = "X-Duration-Seconds"

var (
	registeredMu sync.RWMutex
	registered   http.Handler
)

// Register makes h the function served by [Start] and, in a reactor module,
// by the faas_handle export. Call it from an init function: in a reactor
// module (-buildmode=c-shared) main.main never runs. A later call replaces
// the earlier one.
func Register(h func(http.ResponseWriter, *http.Request)) {
	registeredMu.Lock()
	defer registeredMu.Unlock()
	registered = Handler(http.HandlerFunc(h))
}

// registeredHandler returns the handler given to Register, or nil.
func registeredHandler() http.Handler {
	registeredMu.RLock()
	defer registeredMu.RUnlock()
	return registered
}

// Handler wraps a function handler the way every faas-wasm function is served:
// GET or HEAD on [HealthPath] answers 200 "OK" without calling h, and every
// response carries [DurationHeader], the seconds from the start of the request
// to the moment the status was written.
func Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tw := &timedWriter{ResponseWriter: w, start: time.Now()}
		if r.URL.Path == HealthPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			tw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			tw.WriteHeader(http.StatusOK)
			if r.Method == http.MethodGet {
				_, _ = tw.Write([]byte("OK"))
			}
			return
		}
		h.ServeHTTP(tw, r)
		tw.stamp()
	})
}

// timedWriter sets DurationHeader just before the status line is written.
type timedWriter struct {
	http.ResponseWriter
	start   time.Time
	stamped bool
}

func (t *timedWriter) stamp() {
	if t.stamped {
		return
	}
	t.stamped = true
	secs := time.Since(t.start).Seconds()
	t.ResponseWriter.Header().Set(DurationHeader, strconv.FormatFloat(secs, 'f', 6, 64))
}

// WriteHeader stamps the duration, then writes the status.
func (t *timedWriter) WriteHeader(code int) {
	t.stamp()
	t.ResponseWriter.WriteHeader(code)
}

// Write stamps the duration if the status was not written yet, then writes.
func (t *timedWriter) Write(p []byte) (int, error) {
	t.stamp()
	return t.ResponseWriter.Write(p)
}

// Flush stamps the duration and flushes when the wrapped writer can.
func (t *timedWriter) Flush() {
	t.stamp()
	if f, ok := t.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController access to the wrapped writer.
func (t *timedWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
