package handlers

import (
	"net/http"
	"time"
)

// Observer is told about every call through /function/ and every scale
// from zero; metrics.Metrics implements it. Its methods are called on the
// request path and must be cheap and safe for concurrent use.
type Observer interface {
	// Invocation is called when a call to name.namespace starts (before any
	// scale from zero). It returns the function to call once the call ends,
	// with the status code answered, or with 0 when the call did not reach
	// an existing function (unknown name, unreadable body): such calls are
	// not invocations and must not be counted.
	Invocation(name, namespace string) (done func(code int))
	// WokeFromZero reports a scale from zero that took d; err is nil when a
	// replica became ready.
	WokeFromZero(name, namespace string, d time.Duration, err error)
}

// nopObserver is the Observer used when Config.Observer is nil.
type nopObserver struct{}

func (nopObserver) Invocation(string, string) func(int)               { return func(int) {} }
func (nopObserver) WokeFromZero(string, string, time.Duration, error) {}

// statusRecorder remembers the status code a handler answers. It keeps
// http.ResponseController working through Unwrap and passes Flush on.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Flush sends buffered data to the client, when the writer can.
func (s *statusRecorder) Flush() {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// status is the code answered: 200 when the handler wrote nothing.
func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}
