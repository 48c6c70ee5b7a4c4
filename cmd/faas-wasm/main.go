// Command faas-wasm is an OpenFaaS provider that runs functions as containers
// and as native WebAssembly. See README.md.
//
// Subcommands: none (serve the provider API), version; the developer verbs
// build, new, bench and registry run faas-wasm-tools (cmd/faas-wasm-tools),
// so the provider binary links no builder, benchmark or registry code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Set at link time by the Makefile; main fills them from the go command's
// build stamp when they are not (see stampedVersion).
var (
	version = unsetVersion
	commit  = unsetCommit
)

func main() {
	version, commit = stampedVersion(version, commit, debug.ReadBuildInfo)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "faas-wasm:", err)
		os.Exit(1)
	}
}

// run dispatches to a subcommand or serves the provider.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		if toolVerbs[args[0]] {
			return execTools(args[0], args[1:])
		}
		switch args[0] {
		case "version":
			fmt.Fprintf(stdout, "faas-wasm %s (%s)\n", version, commit)
			return nil
		}
	}
	return serve(ctx, args, stderr)
}
