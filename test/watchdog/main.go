// Command watchdog is faas-wasm's own tiny classic OpenFaaS watchdog: an HTTP
// server on port 8080 that forks the program named by the fprocess
// environment variable once per request, writes the request body to its
// stdin and answers with its stdout. GET /_/health answers 200.
//
// It exists so container images built by this project (and the test images
// of local/containers) behave like standard classic-watchdog OpenFaaS
// images. It is not the upstream watchdog: there is no HTTP/streaming mode,
// no lock file and no metrics endpoint.
//
// Environment:
//
//	fprocess       command line to fork per request (required), split on spaces
//	port           listening port (default 8080)
//	exec_timeout   per-request limit for the forked process, a Go duration or
//	               whole seconds (default 30s)
//	content_type   Content-Type of responses (default: the request's, else text/plain)
//	max_body_bytes largest accepted request body (default 32 MiB)
//
// Its log lines ("Forking fprocess.", "Wrote N Bytes - Duration: S seconds")
// use the standard library's log package on purpose: their plain text format
// is what classic watchdog users grep for. The forked process's stderr is
// passed through to the watchdog's stderr.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	logger := log.New(os.Stderr, "", log.LstdFlags)
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		logger.Fatalf("watchdog: %v", err)
	}
	cfg.stderr = os.Stderr
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := serve(ctx, cfg, logger); err != nil {
		logger.Fatalf("watchdog: %v", err)
	}
}

// serve listens on cfg.port until ctx ends, then drains for up to 5 s.
func serve(ctx context.Context, cfg config, logger *log.Logger) error {
	ln, err := net.Listen("tcp", ":"+cfg.port)
	if err != nil {
		return fmt.Errorf("listen on port %s: %w", cfg.port, err)
	}
	// A request may take exec_timeout to send its body and as long again
	// for its process to run and its answer to be written.
	srv := &http.Server{
		Handler:           newHandler(cfg, logger),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.execTimeout,
		WriteTimeout:      2*cfg.execTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	logger.Printf("Listening on port: %s", cfg.port)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// configFromEnv reads the watchdog's settings through getenv.
func configFromEnv(getenv func(string) string) (config, error) {
	cfg := config{
		port:        "8080",
		execTimeout: 30 * time.Second,
		contentType: getenv("content_type"),
		maxBody:     32 << 20,
	}
	cfg.process = strings.Fields(getenv("fprocess"))
	if len(cfg.process) == 0 {
		return config{}, errors.New("environment variable fprocess is empty: set it to the command to fork per request")
	}
	if p := getenv("port"); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n <= 0 || n > 65535 {
			return config{}, fmt.Errorf("port %q is not a TCP port number", p)
		}
		cfg.port = p
	}
	if v := getenv("exec_timeout"); v != "" {
		d, err := parseDuration(v)
		if err != nil {
			return config{}, fmt.Errorf("exec_timeout: %w", err)
		}
		cfg.execTimeout = d
	}
	if v := getenv("max_body_bytes"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return config{}, fmt.Errorf("max_body_bytes %q is not a positive integer", v)
		}
		cfg.maxBody = n
	}
	return cfg, nil
}

// parseDuration accepts a Go duration ("2s") or whole seconds ("2").
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil {
		if n <= 0 {
			return 0, fmt.Errorf("%q must be positive", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is neither seconds nor a duration: %w", v, err)
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q must be positive", v)
	}
	return d, nil
}
