// Command nodeinstaller is the entrypoint of the shim's node-installer image:
// run by a privileged DaemonSet with the host's root filesystem mounted at
// /host, it copies containerd-shim-faaswasm-v1 and faaswasm-runner from the
// image onto the host (on containerd's PATH), registers the CRI runtime in
// the host's containerd config (once), restarts containerd through the
// host's systemctl when the config changed, and then sleeps so the
// DaemonSet's pod stays Running.
//
//	nodeinstaller [-host /host] [-src /opt/faas-wasm] [-bin-dir /usr/local/bin]
//	              [-config /etc/containerd/config.toml] [-name faaswasm]
//	              [-cache-dir /var/lib/faas-wasm/cache] [-restart systemd|none] [-once]
//
// Build the image with `go run ./hack/shim/imgpush -installer DIR -ref REF`
// (DIR holds nodeinstaller and both shim binaries); deploy it with
// hack/shim/node-installer.yaml. It does not label nodes or create the
// RuntimeClass (hack/shim/runtimeclass.yaml).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"
)

// Binaries is what the image carries in -src and installs into -bin-dir.
var Binaries = []string{"containerd-shim-faaswasm-v1", "faaswasm-runner"}

func main() {
	host := flag.String("host", "/host", "where the host's root filesystem is mounted")
	src := flag.String("src", "/opt/faas-wasm", "directory of the binaries in the image")
	binDir := flag.String("bin-dir", "/usr/local/bin", "host directory on containerd's PATH")
	config := flag.String("config", "/etc/containerd/config.toml", "host path of containerd's config")
	name := flag.String("name", "faaswasm", "CRI runtime (RuntimeClass handler) name")
	cacheDir := flag.String("cache-dir", "/var/lib/faas-wasm/cache", "host path of the compiled-module cache")
	restart := flag.String("restart", "systemd", "how to restart containerd after a config change: systemd or none")
	once := flag.Bool("once", false, "exit after installing instead of sleeping")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	changed, err := install(log, *host, *src, *binDir, *config, *name, *cacheDir)
	if err == nil && changed {
		err = restartContainerd(log, *host, *restart)
	}
	if err != nil {
		log.Error("node install failed", "err", err)
		os.Exit(1)
	}
	if *once {
		return
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
}

// install copies the binaries and registers the runtime; it reports whether
// the containerd config changed.
func install(log *slog.Logger, host, src, binDir, config, name, cacheDir string) (bool, error) {
	if !regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`).MatchString(name) {
		return false, fmt.Errorf("runtime name %q is not a DNS label", name)
	}
	dst := filepath.Join(host, binDir)
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return false, err
	}
	for _, b := range Binaries {
		copied, err := copyIfDifferent(filepath.Join(src, b), filepath.Join(dst, b))
		if err != nil {
			return false, fmt.Errorf("install %s: %w", b, err)
		}
		log.Info("binary", "path", filepath.Join(binDir, b), "updated", copied)
	}
	if err := os.MkdirAll(filepath.Join(host, cacheDir), 0o700); err != nil {
		return false, fmt.Errorf("cache dir: %w", err)
	}
	path := filepath.Join(host, config)
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return false, fmt.Errorf("containerd config: %w", err)
	}
	updated, changed := registerRuntime(old, name)
	if !changed {
		log.Info("containerd config already registers the runtime", "config", config, "name", name)
		return false, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return false, err
	}
	if err := writeAtomic(path, bytes.NewReader(updated), 0o644); err != nil {
		return false, fmt.Errorf("containerd config: %w", err)
	}
	log.Info("registered the runtime", "config", config, "name", name, "runtime_type", "io.containerd.faaswasm.v1")
	return true, nil
}

// restartContainerd runs the host's `systemctl restart containerd` chrooted
// into the host's root filesystem.
func restartContainerd(log *slog.Logger, host, how string) error {
	switch how {
	case "none":
		log.Info("containerd config changed: restart containerd to load the runtime")
		return nil
	case "systemd":
		cmd := exec.Command("/bin/systemctl", "restart", "containerd")
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: host}
		cmd.Dir = "/"
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("systemctl restart containerd: %w: %s", err, bytes.TrimSpace(out))
		}
		log.Info("restarted containerd")
		return nil
	default:
		return fmt.Errorf("-restart %q: want systemd or none", how)
	}
}

// copyIfDifferent streams src over dst unless their contents are equal;
// both are compared and copied in small chunks (the runner is tens of MB and
// the pod's memory limit is small).
func copyIfDifferent(src, dst string) (bool, error) {
	if same, err := sameContent(src, dst); err != nil || same {
		return false, err
	}
	in, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer in.Close()
	// Rename over the old file: a running shim or runner keeps its inode.
	return true, writeAtomic(dst, in, 0o755)
}

func sameContent(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, nil
	}
	defer fb.Close()
	sa, errA := fa.Stat()
	sb, errB := fb.Stat()
	if errA != nil || errB != nil || sa.Size() != sb.Size() {
		return false, nil
	}
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, _ := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea != nil {
			return true, nil
		}
	}
}

func writeAtomic(path string, data io.Reader, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := io.Copy(tmp, data)
	cerr := tmp.Close()
	if werr == nil && cerr == nil {
		werr = os.Chmod(tmp.Name(), mode)
	}
	if werr == nil && cerr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		if werr != nil {
			return werr
		}
		return cerr
	}
	return nil
}
