package bench

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/credentials"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/registry"
)

// containerNamespace is the containerd namespace the provider uses for
// container functions (serve.go's choice).
const containerNamespace = "openfaas-fn"

// Local is a local-mode environment: a registry on loopback, a private
// containerd (when the machine can run containers) and the provider as a
// child process, all under one temporary directory.
type Local struct {
	dir        string
	registry   string
	stopReg    context.CancelFunc
	regDone    chan error
	containerd *child
	socket     string
	provider   *child
	apiURL     string
	trustedKey string // public key file the provider trusts (SignKey)
	// Notes explain what the environment could not provide.
	Notes []string
}

// StartLocal starts the registry and containerd (not yet the provider) in
// a new temporary directory.
//
// # Errors
//
// Temp dir or registry listening failures.
func StartLocal(ctx context.Context, withContainers bool) (*Local, error) {
	dir, err := os.MkdirTemp("", "faas-wasm-bench-")
	if err != nil {
		return nil, fmt.Errorf("local environment: %w", err)
	}
	l := &Local{dir: dir, regDone: make(chan error, 1)}
	port, err := freePort("127.0.0.1")
	if err != nil {
		return nil, errors.Join(err, os.RemoveAll(dir))
	}
	l.registry = "127.0.0.1:" + strconv.Itoa(port)
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	l.stopReg = cancel
	go func() { l.regDone <- registry.Serve(rctx, l.registry, filepath.Join(dir, "registry")) }()
	if err := waitHTTP(ctx, nil, "http://"+l.registry+"/v2/", 10*time.Second); err != nil {
		l.Stop(context.WithoutCancel(ctx), "")
		return nil, fmt.Errorf("local registry: %w", err)
	}
	if withContainers {
		if err := l.startContainerd(ctx); err != nil {
			l.Notes = append(l.Notes, fmt.Sprintf("container variants skipped: %v", err))
		}
	}
	return l, nil
}

// Dir is the environment's temporary directory.
func (l *Local) Dir() string { return l.dir }

// Registry is the registry's host:port.
func (l *Local) Registry() string { return l.registry }

// Containers reports whether container functions can run.
func (l *Local) Containers() bool { return l.containerd != nil }

// ContainerdSocket is the private containerd's socket ("" without one).
func (l *Local) ContainerdSocket() string { return l.socket }

// startContainerd runs a containerd of its own (root, state and socket
// under the temp dir) when containerd, runc and the CNI plugins exist.
func (l *Local) startContainerd(ctx context.Context) error {
	if os.Geteuid() != 0 {
		return errors.New("containerd needs root")
	}
	for _, bin := range []string{"containerd", "runc", "ctr"} {
		if _, err := exec.LookPath(bin); err != nil {
			return fmt.Errorf("%s not installed (hack/containerd/install.sh)", bin)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		return errors.New("CNI plugins not installed (containernetworking-plugins)")
	}
	cdir := filepath.Join(l.dir, "containerd")
	if err := os.MkdirAll(cdir, 0o700); err != nil {
		return err
	}
	l.socket = filepath.Join(cdir, "containerd.sock")
	cfg := fmt.Sprintf("version = 2\nroot = %q\nstate = %q\ndisabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n[grpc]\n  address = %q\n[ttrpc]\n  address = %q\n",
		filepath.Join(cdir, "root"), filepath.Join(cdir, "state"), l.socket, l.socket+".ttrpc")
	if err := os.WriteFile(filepath.Join(cdir, "config.toml"), []byte(cfg), 0o600); err != nil {
		return err
	}
	c, err := startChild("containerd", filepath.Join(cdir, "containerd.log"), nil, "containerd", "--config", filepath.Join(cdir, "config.toml"))
	if err != nil {
		return err
	}
	l.containerd = c
	deadline := time.Now().Add(20 * time.Second)
	for {
		if exec.CommandContext(ctx, "ctr", "--address", l.socket, "version").Run() == nil {
			return nil
		}
		if c.exited() || time.Now().After(deadline) {
			l.stopContainerd()
			return fmt.Errorf("containerd did not answer (see %s)", c.log.Name())
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			l.stopContainerd()
			return ctx.Err()
		}
	}
}

// StartProvider runs binary (this program) as the provider in local mode
// with a state dir under the temp dir and waits for /healthz.
//
// # Errors
//
// Start failures, or the provider not becoming healthy within a minute.
func (l *Local) StartProvider(ctx context.Context, binary string) error {
	port, err := freePort("127.0.0.1")
	if err != nil {
		return err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"--addr", addr, "--state-dir", filepath.Join(l.dir, "state"), "--log-level", "warn"}
	if l.socket != "" {
		args = append(args, "--containerd-socket", l.socket)
	}
	if l.trustedKey != "" {
		args = append(args, "--trusted-build-key", l.trustedKey)
	}
	c, err := startChild("provider", filepath.Join(l.dir, "provider.log"), nil, binary, args...)
	if err != nil {
		return err
	}
	l.provider, l.apiURL = c, "http://"+addr
	return waitHTTP(ctx, c, l.apiURL+"/healthz", time.Minute)
}

// SignKey writes a new build key pair into the environment's directory
// and returns its private half, to sign the precompiled layers of the Wasm
// images (builder.WithSignKey); a later StartProvider trusts its public
// half (--trusted-build-key).
//
// # Errors
//
// Key generation or file errors.
func (l *Local) SignKey() (ed25519.PrivateKey, error) {
	priv, pub := filepath.Join(l.dir, "build.key"), filepath.Join(l.dir, "build.pub")
	if err := precompiled.WriteKeyPair(priv, pub); err != nil {
		return nil, fmt.Errorf("build key: %w", err)
	}
	key, err := precompiled.LoadPrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("build key: %w", err)
	}
	l.trustedKey = pub
	return key, nil
}

// APIURL is the provider's base URL.
func (l *Local) APIURL() string { return l.apiURL }

// Credentials returns the basic-auth credentials the provider generated
// into its state dir on its first start (auth is on by default).
//
// # Errors
//
// The files cannot be read (StartProvider not called, or it failed).
func (l *Local) Credentials() (user, password string, err error) {
	c, err := handlers.ReadCredentials(filepath.Join(l.dir, "state", credentials.DirName))
	if err != nil {
		return "", "", fmt.Errorf("provider credentials: %w", err)
	}
	return c.User, c.Password, nil
}

// ProviderPID is the provider's process id (0 before StartProvider).
func (l *Local) ProviderPID() int {
	if l.provider == nil {
		return 0
	}
	return l.provider.pid()
}

// ProviderLog is the path of the provider's log file.
func (l *Local) ProviderLog() string { return filepath.Join(l.dir, "provider.log") }

// Stop stops the provider, removes leftover containers, stops containerd
// and the registry, copies the provider's and containerd's logs into
// logDir (unless empty) and removes the temporary directory.
//
// # Errors
//
// Copying the logs or removing the temporary directory.
func (l *Local) Stop(ctx context.Context, logDir string) error {
	l.provider.stop(30 * time.Second)
	l.stopContainerd()
	var err error
	if logDir != "" {
		err = copyLogs(logDir, filepath.Join(l.dir, "provider.log"), filepath.Join(l.dir, "containerd", "containerd.log"))
	}
	if l.stopReg != nil {
		l.stopReg()
		select {
		case <-l.regDone:
		case <-time.After(5 * time.Second):
		}
	}
	unmountBelow(l.dir)
	return errors.Join(err, os.RemoveAll(l.dir))
}

// copyLogs copies the files that exist into dir.
func copyLogs(dir string, files ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("copy logs: %w", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("copy logs: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return fmt.Errorf("copy logs: %w", err)
		}
	}
	return nil
}

// stopContainerd kills and removes the provider's leftover containers with
// ctr, then stops containerd.
func (l *Local) stopContainerd() {
	if l.containerd == nil {
		return
	}
	ctr := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, _ := exec.CommandContext(ctx, "ctr", append([]string{"--address", l.socket, "-n", containerNamespace}, args...)...).Output()
		return string(out)
	}
	for _, id := range strings.Fields(ctr("containers", "list", "-q")) {
		ctr("tasks", "kill", "-s", "SIGKILL", id)
		ctr("tasks", "delete", "-f", id)
		ctr("containers", "delete", id)
	}
	l.containerd.stop(10 * time.Second)
	l.containerd = nil
}

// unmountBelow detaches every mount point under dir, deepest first.
func unmountBelow(dir string) {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}
