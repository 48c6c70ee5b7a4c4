package oci

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
)

// ServeRegistry serves an OCI distribution registry (go-containerregistry's
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
func ServeRegistry(ctx context.Context, addr, dir string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("registry: listen %s: %w", addr, err)
	}
	return serveRegistry(ctx, ln, dir)
}

// registryHandler returns the registry's HTTP handler, storing as
// ServeRegistry describes for dir, and what to close when done.
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

func serveRegistry(ctx context.Context, ln net.Listener, dir string) error {
	h, closeStore, err := registryHandler(dir)
	if err != nil {
		ln.Close()
		return err
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil && !IsLoopback(host) {
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

const registryUsage = `Usage: faas-wasm registry [--addr HOST:PORT] [--dir DIR]

Serves an OCI registry (no authentication, no TLS) for development and tests,
until interrupted. Images pushed to a loopback registry are pulled by
faas-wasm over plain HTTP.

Flags:
`

// Main runs the "faas-wasm registry" subcommand: args are the flags after
// the subcommand's name (--addr, default 127.0.0.1:5000; --dir, default
// empty: in memory). It prints the address it listens on to stdout and
// serves until ctx ends. --help prints the usage and returns nil.
//
// # Errors
// Bad flags, or as ServeRegistry.
func Main(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	fs.SetOutput(stdout)
	addr := fs.String("addr", "127.0.0.1:5000", "address to listen on")
	dir := fs.String("dir", "", "directory for blobs and manifests (empty: keep them in memory)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), registryUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return fmt.Errorf("registry: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("registry: unexpected arguments %q", fs.Args())
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("registry: listen %s: %w", *addr, err)
	}
	storage := "in memory"
	if *dir != "" {
		storage = "under " + *dir
	}
	fmt.Fprintf(stdout, "registry listening on http://%s (storage %s)\n", ln.Addr(), storage)
	return serveRegistry(ctx, ln, *dir)
}
