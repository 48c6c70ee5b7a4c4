package handlers

import (
	"log/slog"
	"net/http"
	"time"
)

// ServerTimeouts bound the connections of a server made by NewServer.
// Zero fields take the defaults noted on each.
type ServerTimeouts struct {
	// ReadHeader bounds reading a request's headers (default 10s).
	ReadHeader time.Duration
	// Request bounds a whole request after its headers: reading the body,
	// running the handler and writing the response (default 5m). It is
	// enforced with per-connection deadlines rather than http.Server's
	// WriteTimeout so that a streaming handler (logs with follow=true) can
	// lift it. It must exceed the longest function timeout.
	Request time.Duration
	// Idle bounds a keep-alive connection waiting for its next request (default 2m).
	Idle time.Duration
	// MaxHeaderBytes limits request headers (default 1 MiB).
	MaxHeaderBytes int
}

func (t ServerTimeouts) withDefaults() ServerTimeouts {
	if t.ReadHeader <= 0 {
		t.ReadHeader = 10 * time.Second
	}
	if t.Request <= 0 {
		t.Request = 5 * time.Minute
	}
	if t.Idle <= 0 {
		t.Idle = 2 * time.Minute
	}
	if t.MaxHeaderBytes <= 0 {
		t.MaxHeaderBytes = 1 << 20
	}
	return t
}

// NewServer returns an *http.Server for h on addr with header, idle and
// per-request deadlines and a header size limit. Handlers that stream
// without end clear the request deadline through http.ResponseController.
func NewServer(addr string, h http.Handler, t ServerTimeouts, log *slog.Logger) *http.Server {
	t = t.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	return &http.Server{
		Addr:              addr,
		Handler:           withRequestDeadline(t.Request, h),
		ReadHeaderTimeout: t.ReadHeader,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// withRequestDeadline sets the connection's read and write deadlines to
// now+d before calling next.
func withRequestDeadline(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(d)
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline)
		next.ServeHTTP(w, r)
	})
}
