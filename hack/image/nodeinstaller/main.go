package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
)

// marker is written when the installation succeeded; -check (the
// DaemonSet's readiness probe) tests for it.
const marker = "/tmp/faas-wasm-installed"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(os.Args[1:], log, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		log.Error("node installer failed", "err", err)
		os.Exit(1)
	}
}

func run(args []string, log *slog.Logger, out io.Writer) error {
	fs := flag.NewFlagSet("nodeinstaller", flag.ContinueOnError)
	fs.SetOutput(out)
	var p Plan
	fs.StringVar(&p.Source, "source", "/faas-wasm", "directory holding the shim binaries in this image")
	fs.StringVar(&p.HostRoot, "host-root", "/host", "where the node's root filesystem is mounted")
	fs.StringVar(&p.BinDir, "bin-dir", "/usr/local/bin", "node directory for the binaries (on containerd's PATH)")
	fs.StringVar(&p.CacheDir, "cache-dir", "/var/lib/faas-wasm/cache", "node directory of the compiled-module cache")
	fs.StringVar(&p.RuntimeName, "runtime-name", "faaswasm", "CRI runtime name (the RuntimeClass handler)")
	fs.StringVar(&p.Config, "containerd-config", "", "node path of containerd's config.toml to register the runtime in")
	fs.StringVar(&p.DropIn, "drop-in", "", "node path of a configuration fragment holding only the runtime table")
	restart := fs.String("restart", "none", "after a configuration change: none, or systemd (systemctl restart containerd in the node's root)")
	check := fs.Bool("check", false, "exit 0 when an installation has finished in this container (readiness probe)")
	oneshot := fs.Bool("oneshot", false, "exit after installing instead of waiting for SIGTERM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *check {
		_, err := os.Stat(marker)
		return err
	}
	if *restart != "none" && *restart != "systemd" {
		return fmt.Errorf("-restart %q: want none or systemd", *restart)
	}
	res, err := Install(p)
	if err != nil {
		return err
	}
	log.Info("shim installed", "changed", res.Installed, "runtime", p.RuntimeName, "registered", res.Registered, "bin_dir", p.BinDir)
	if res.Registered {
		if *restart == "systemd" {
			cmd := exec.Command("/bin/systemctl", "restart", "containerd")
			cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: p.HostRoot}
			cmd.Dir = "/"
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("restart containerd: %w: %s", err, b)
			}
			log.Info("restarted containerd")
		} else {
			log.Warn("runtime registered; containerd must be restarted to load it")
		}
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", marker, err)
	}
	if *oneshot {
		return nil
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	log.Info("node installer stopping; the shim stays installed")
	return nil
}
