// Command faas-wasm-tools holds the developer verbs of faas-wasm — build
// (function images from a stack file), new (a function skeleton), bench (the side-by-side benchmark) and
// registry (a small OCI registry for local use) — so that the provider binary
// links none of their code. `faas-wasm VERB ...` runs `faas-wasm-tools VERB
// ...` (found beside faas-wasm, then on PATH); `make build` puts both in bin/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
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

// errUsage is wrapped by the errors of a command line that names no verb
// this program knows.
var errUsage = errors.New("usage")

const usage = `Usage: faas-wasm-tools VERB [FLAGS]   (also run as faas-wasm VERB)

Verbs:
  build     build the container and Wasm images of a stack file
  new       write a function skeleton (Go, Rust or C) and its two stack entries
  bench     the side-by-side benchmark of container and Wasm functions
  registry  serve an OCI registry for development and tests
  keygen    write an ed25519 key pair to sign precompiled Wasm modules
`

// run dispatches args[0] to its verb.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("%w: no verb", errUsage)
	}
	switch args[0] {
	case "build":
		return runBuild(ctx, args[1:], stdout, stderr)
	case "new":
		return runNew(args[1:], stdout)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "registry":
		return runRegistry(ctx, args[1:], stdout)
	case "keygen":
		return runKeygen(args[1:], stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("%w: unknown verb %q", errUsage, args[0])
}
