//go:build !wasip1

package fn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"
)

// Start serves the handler given to [Register] until SIGTERM or SIGINT, then
// drains in-flight requests (bounded by env drain_timeout, default 10s) and
// returns. It listens on :8080, or on :$PORT. Timeouts follow the OpenFaaS
// watchdog variables read_timeout and write_timeout (Go durations or
// seconds; defaults 10s and 60s). Start exits the process with status 1 when
// no handler is registered or the server fails.
func Start() {
	h := registeredHandler()
	if h == nil {
		slog.Error("fn.Start: no handler registered; call fn.Register from an init function")
		os.Exit(1)
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		slog.Error("fn.Start: listen", "port", port, "err", err)
		os.Exit(1)
	}
	slog.Info("function listening", "addr", ln.Addr().String())
	opts := []Option{
		WithReadTimeout(envDuration("read_timeout", defaultReadTimeout)),
		WithWriteTimeout(envDuration("write_timeout", defaultWriteTimeout)),
		WithDrainTimeout(envDuration("drain_timeout", defaultDrainTimeout)),
	}
	if err := Serve(ctx, ln, h, opts...); err != nil {
		slog.Error("fn.Start: serve", "err", err)
		os.Exit(1)
	}
}

// Serve serves h (already wrapped by [Handler] when it should answer health
// checks and stamp durations) on ln until ctx is done, then stops accepting,
// reports unhealthy on [HealthPath] and waits for in-flight requests for at
// most the drain timeout. It closes ln.
//
// # Errors
//
// Serve returns the listener's error if serving fails, and an error wrapping
// context.DeadlineExceeded if requests were still running when the drain
// timeout ended. A clean shutdown returns nil.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ...Option) error {
	o := options{
		readTimeout:  defaultReadTimeout,
		writeTimeout: defaultWriteTimeout,
		drainTimeout: defaultDrainTimeout,
	}
	for _, opt := range opts {
		opt(&o)
	}
	var draining atomic.Bool
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() && r.URL.Path == HealthPath {
			http.Error(w, "draining", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: min(o.readTimeout, 10*time.Second),
		ReadTimeout:       o.readTimeout,
		WriteTimeout:      o.writeTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	draining.Store(true)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.drainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("drain %s: %w", ln.Addr(), err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}
