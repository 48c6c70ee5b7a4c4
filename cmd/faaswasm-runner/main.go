// Command faaswasm-runner serves one Wasm function for the node shim
// (containerd-shim-faaswasm-v1). The shim starts it inside the pod's
// namespaces and cgroup; it is not meant to be started by hand except for
// debugging.
//
// Usage: faaswasm-runner -config PATH [-gate-fd N] [-ready-fd N] [-precompile]
//
// With -gate-fd the runner first reads that descriptor until EOF, so the shim
// can place it in the container's cgroup before it allocates anything. With
// -ready-fd it writes one byte to that descriptor once it listens, so the
// shim's Start can return only when the function serves.
// SIGTERM and SIGINT stop it gracefully (exit 0). With -precompile it only
// compiles the module into the node's cache and exits.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/shim/runner"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

func main() {
	configPath := flag.String("config", "", "runner config (JSON) written by the shim")
	gateFD := flag.Int("gate-fd", -1, "descriptor to read until EOF before starting")
	readyFD := flag.Int("ready-fd", -1, "descriptor to write one byte to, then close, once listening")
	precompile := flag.Bool("precompile", false, "compile the module into the cache and exit")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var err error
	if *precompile {
		err = compileOnly(*configPath, log)
	} else {
		err = run(*configPath, *gateFD, *readyFD, log)
	}
	if err != nil {
		log.Error("faaswasm-runner failed", "err", err)
		os.Exit(1)
	}
}

func run(configPath string, gateFD, readyFD int, log *slog.Logger) error {
	// The container's stdout/stderr are FIFOs; a reader going away must not
	// kill the runner.
	signal.Ignore(syscall.SIGPIPE)
	if gateFD >= 0 {
		gate := os.NewFile(uintptr(gateFD), "gate")
		if _, err := io.Copy(io.Discard, gate); err != nil {
			return fmt.Errorf("gate: %w", err)
		}
		gate.Close()
	}
	cfg, err := runspec.ReadConfig(configPath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	r, err := runner.New(ctx, cfg, runner.WithLogger(log))
	if err != nil {
		return err
	}
	defer r.Close()
	l, err := net.Listen("tcp", r.Addr())
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if readyFD >= 0 {
		// Connections queue from now on: tell the shim, whose Start returns then.
		ready := os.NewFile(uintptr(readyFD), "ready")
		ready.Write([]byte{1})
		ready.Close()
	}
	return r.Serve(ctx, l, 10*time.Second)
}

func compileOnly(configPath string, log *slog.Logger) error {
	cfg, err := runspec.ReadConfig(configPath)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	_, err = runner.Precompile(ctx, cfg, runner.WithLogger(log))
	return err
}
