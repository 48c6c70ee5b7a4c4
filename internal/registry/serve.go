package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// Serve serves an OCI distribution registry (go-containerregistry's
// pkg/registry: no authentication, no TLS) on addr until ctx ends, then
// shuts it down and returns nil.
//
// With dir set, blobs are stored on disk under dir/blobs and manifests are
// recorded under dir/manifests and replayed at start, so pushed images
// survive a restart; with dir empty everything lives in memory. Nothing is
// ever garbage-collected: blobs of overwritten or deleted manifests stay.
//
// # Errors
// Listening failures, an unusable dir, or the server failing.
func Serve(ctx context.Context, addr, dir string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("registry: listen %s: %w", addr, err)
	}
	return ServeListener(ctx, ln, dir)
}

// registryHandler returns the registry's HTTP handler, storing as
// Serve describes for dir, and what to close when done.
func registryHandler(dir string) (http.Handler, func() error, error) {
	logger := slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug)
	if dir == "" {
		return registry.New(registry.Logger(logger)), func() error { return nil }, nil
	}
	blobs := filepath.Join(dir, "blobs")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return nil, nil, fmt.Errorf("registry: blob dir: %w", err)
	}
	h := registry.New(registry.Logger(logger), registry.WithBlobHandler(registry.NewDiskBlobHandler(blobs)))
	store, err := newManifestStore(h, filepath.Join(dir, "manifests"))
	if err != nil {
		return nil, nil, err
	}
	return store, store.Close, nil
}

// ServeListener is Serve on a listener the caller opened
// (so it can print the address first); ln is closed when it returns.
//
// # Errors
// As Serve.
func ServeListener(ctx context.Context, ln net.Listener, dir string) error {
	h, closeStore, err := registryHandler(dir)
	if err != nil {
		ln.Close()
		return err
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil && !oci.IsLoopback(host) {
		slog.Warn("registry: listening beyond loopback without authentication or TLS", "addr", ln.Addr().String())
	}
	defer closeStore()
	// Bounds generous enough for pushing and pulling large layers over
	// loopback, short enough that a stalled client cannot hold a
	// connection for ever.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Minute,
		WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 1 << 20}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("registry: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		slog.Warn("registry: closing connections still active at shutdown", "err", err)
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("registry: %w", err)
	}
	return nil
}
