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
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// readyFile is written when the installation succeeded; -check (the
// DaemonSet's readiness probe) tests for it.
const readyFile = "/tmp/faas-wasm-installed"

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
	fs.IntVar(&p.ConfigVersion, "config-version", 0, "containerd configuration syntax to write: 1, 2 (containerd 1.x) or 3 (containerd 2.x); 0 detects it from the configuration and `containerd --version`")
	fs.StringVar(&p.TrustedBuildKeys, "trusted-build-keys", "", "file of PEM ed25519 public keys whose signed precompiled Wasm layers the node's shim installs instead of compiling (written to the node's "+runspec.DefaultTrustedBuildKeys+"; empty: that file is removed)")
	fs.StringVar(&p.ShimGroup, "shim-group", "pod", "which containers share a shim daemon: pod (one daemon per pod) or node (one for all the node's Wasm pods: its memory counts once, but its crash stops them all); node is written to the node's "+runspec.DefaultShimGroup+", pod removes it")
	restart := fs.String("restart", "none", "after a configuration change: none, or systemd (systemctl restart containerd in the node's root)")
	check := fs.Bool("check", false, "exit 0 when an installation has finished in this container (readiness probe)")
	oneshot := fs.Bool("oneshot", false, "exit after installing instead of waiting for SIGTERM")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *check {
		_, err := os.Stat(readyFile)
		return err
	}
	if *restart != "none" && *restart != "systemd" {
		return fmt.Errorf("-restart %q: want none or systemd", *restart)
	}
	p.ContainerdMajor = func() (int, error) { return containerdMajor(p.HostRoot) }
	res, err := Install(p)
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		log.Warn(w)
	}
	log.Info("shim installed", "changed", res.Installed, "trusted_build_keys", p.TrustedBuildKeys, "keys_changed", res.KeysChanged, "shim_group", p.ShimGroup, "runtime", p.RuntimeName, "registered", res.Registered, "config_version", res.Version, "bin_dir", p.BinDir)
	if res.Registered {
		if *restart == "systemd" {
			cmd := hostCommand(p.HostRoot, "/bin/systemctl", "restart", "containerd")
			if b, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("restart containerd: %w: %s", err, b)
			}
			log.Info("restarted containerd")
		} else {
			log.Warn("runtime registered; containerd must be restarted to load it")
		}
	}
	if err := os.WriteFile(readyFile, nil, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", readyFile, err)
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

// hostCommand runs a node binary (an absolute path in the node's root) inside
// the node's root filesystem.
func hostCommand(hostRoot, bin string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	if filepath.Clean(hostRoot) != "/" {
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: hostRoot}
	}
	cmd.Dir = "/"
	return cmd
}

// containerdBinaries are where nodes keep containerd.
var containerdBinaries = []string{"/usr/bin/containerd", "/usr/local/bin/containerd", "/bin/containerd", "/usr/sbin/containerd", "/usr/local/sbin/containerd", "/opt/bin/containerd"}

// containerdMajor runs the node's `containerd --version` and returns the
// major version.
func containerdMajor(hostRoot string) (int, error) {
	for _, bin := range containerdBinaries {
		if _, err := os.Stat(filepath.Join(hostRoot, bin)); err != nil {
			continue
		}
		out, err := hostCommand(hostRoot, bin, "--version").Output()
		if err != nil {
			return 0, fmt.Errorf("%s --version: %w", bin, err)
		}
		return parseContainerdMajor(string(out))
	}
	return 0, fmt.Errorf("no containerd binary in %v", containerdBinaries)
}

var versionField = regexp.MustCompile(`^v?(\d+)\.\d+`)

// parseContainerdMajor reads the major version from `containerd --version`
// output: "containerd <package> <version> <revision>", e.g.
// "containerd github.com/containerd/containerd/v2 v2.1.0 061792f" or
// "containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1".
func parseContainerdMajor(out string) (int, error) {
	f := strings.Fields(out)
	if len(f) >= 3 {
		if m := versionField.FindStringSubmatch(f[2]); m != nil {
			return strconv.Atoi(m[1])
		}
	}
	return 0, fmt.Errorf("cannot read a version from %q", strings.TrimSpace(out))
}
