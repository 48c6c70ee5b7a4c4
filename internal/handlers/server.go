package handlers

import (
	"context"
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
// When the server shuts down, log streams with follow=true end so that
// Shutdown only waits for the in-flight calls it should drain.
func NewServer(addr string, h http.Handler, t ServerTimeouts, log *slog.Logger) *http.Server {
	t = t.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	stopping := make(chan struct{})
	srv := &http.Server{
		Addr:              addr,
		Handler:           withRequestDeadline(t.Request, stopping, h),
		ReadHeaderTimeout: t.ReadHeader,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    t.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(func() { close(stopping) })
	return srv
}

// withRequestDeadline sets the connection's read and write deadlines to
// now+d and hands the server's stopping signal to the request's context
// before calling next.
func withRequestDeadline(d time.Duration, stopping <-chan struct{}, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		deadline := time.Now().Add(d)
		_ = rc.SetReadDeadline(deadline)
		_ = rc.SetWriteDeadline(deadline)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stoppingKey{}, stopping)))
	})
}

type stoppingKey struct{}

// serverStopping returns a channel closed when the server made by NewServer
// shuts down, or nil (never ready) for other servers.
func serverStopping(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(stoppingKey{}).(<-chan struct{})
	return ch
}
