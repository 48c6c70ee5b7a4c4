package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/faas-wasm/faas-wasm/internal/registry"
)

const registryUsage = `Usage: faas-wasm registry [--addr HOST:PORT] [--dir DIR]

Serves an OCI registry (no authentication, no TLS) for development and tests,
until interrupted. Images pushed to a loopback registry are pulled by
faas-wasm over plain HTTP.

Flags:
`

// runRegistry runs the registry verb: it prints the address it listens on to
// stdout and serves until ctx ends; --help prints the usage and returns nil.
func runRegistry(ctx context.Context, args []string, stdout io.Writer) error {
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
	return registry.ServeListener(ctx, ln, *dir)
}
