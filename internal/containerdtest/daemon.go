package containerdtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"

	"github.com/faas-wasm/faas-wasm/internal/testenv"
)

// ErrUnavailable is reported by New when no containerd can run here: the
// process is not root, or containerd (or a program or file named with
// WithRequired) is missing.
var ErrUnavailable = errors.New("containerd cannot run here")

// readyTimeout bounds how long a (re)started daemon may take to answer.
const readyTimeout = 30 * time.Second

// stopGrace is how long Stop waits after SIGTERM before SIGKILL.
const stopGrace = 10 * time.Second

// Daemon is a running private containerd. Its methods are not safe for
// concurrent use.
type Daemon struct {
	dir    string
	socket string
	config string
	bin    string
	env    []string
	cmd    *exec.Cmd
	exited chan struct{} // closed once cmd has been waited for
}

// config is the daemon's configuration: everything under dir, no CRI, no
// snapshotters but the default ones, no tracing, debug or metrics listeners.
const config = `version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = %[3]q
[ttrpc]
  address = %[4]q
[debug]
  address = ""
[metrics]
  address = ""
`

// New starts a private containerd under a new temp dir whose name begins
// with dirPrefix and waits until it answers. It first reaps what earlier
// runs with the same prefix left behind when they died before cleaning up.
// The caller must Close the daemon.
//
// # Errors
//
// ErrUnavailable (wrapped) when not root or a required program is missing;
// otherwise the error of creating the dir or starting the daemon, with the
// end of its log when it did not answer in time.
func New(dirPrefix string, opts ...Option) (*Daemon, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if os.Geteuid() != 0 {
		return nil, fmt.Errorf("%w: not root", ErrUnavailable)
	}
	bin, err := exec.LookPath("containerd")
	if err != nil {
		return nil, fmt.Errorf("%w: containerd not installed (hack/containerd/install.sh)", ErrUnavailable)
	}
	for _, r := range o.required {
		if strings.Contains(r, "/") {
			_, err = os.Stat(r)
		} else {
			_, err = exec.LookPath(r)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not installed", ErrUnavailable, r)
		}
	}
	reapStale(dirPrefix)
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("containerd dir: %w", err)
	}
	d := &Daemon{dir: dir, socket: filepath.Join(dir, "containerd.sock"), config: filepath.Join(dir, "config.toml"), bin: bin, env: o.env}
	if err := os.Mkdir(d.BinDir(), 0o755); err != nil {
		d.Close()
		return nil, fmt.Errorf("containerd bin dir: %w", err)
	}
	cfg := fmt.Sprintf(config, filepath.Join(dir, "root"), filepath.Join(dir, "state"), d.socket, d.socket+".ttrpc")
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		d.Close()
		return nil, fmt.Errorf("containerd config: %w", err)
	}
	if err := d.Start(); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Run starts a daemon for one test (or benchmark) and closes it at the
// test's cleanup. It skips tb when no containerd can run here (fails it
// under CI=true, see testenv.Missing) and fails it when the daemon does
// not come up.
func Run(tb testing.TB, dirPrefix string, opts ...Option) *Daemon {
	tb.Helper()
	d, err := New(dirPrefix, opts...)
	if errors.Is(err, ErrUnavailable) {
		testenv.Missing(tb, err)
	}
	if err != nil {
		tb.Fatalf("private containerd: %v", err)
	}
	tb.Cleanup(d.Close)
	return d
}

// Socket returns the path of the daemon's gRPC socket.
func (d *Daemon) Socket() string { return d.socket }

// Dir returns the daemon's temp dir; tests may keep files of their own in
// it (it is deleted by Close).
func (d *Daemon) Dir() string { return d.dir }

// BinDir returns a dir that stands first on the daemon's PATH (and so its
// shims'): a test puts the shims and runtimes it builds there. The daemon
// looks a shim up when it starts a task, so they may come after New.
func (d *Daemon) BinDir() string { return filepath.Join(d.dir, "bin") }

// LogPath returns the file that holds the daemon's output (and so its
// shims' logs) across restarts.
func (d *Daemon) LogPath() string { return filepath.Join(d.dir, "containerd.log") }

// Client returns a new client of the daemon; the caller closes it.
//
// # Errors
//
// The error of containerd.New.
func (d *Daemon) Client(opts ...containerd.ClientOpt) (*containerd.Client, error) {
	c, err := containerd.New(d.socket, opts...)
	if err != nil {
		return nil, fmt.Errorf("containerd client: %w", err)
	}
	return c, nil
}

// Start starts the daemon again after Stop (New already started it) and
// waits until it answers. Tasks that kept running are its again.
//
// # Errors
//
// The error of opening the log or starting the process, or a timeout with
// the end of the log.
func (d *Daemon) Start() error {
	logf, err := os.OpenFile(d.LogPath(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("containerd log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(d.bin, "--config", d.config)
	cmd.Env = append(os.Environ(), "PATH="+d.BinDir()+string(os.PathListSeparator)+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, d.env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := startFromLockedThread(cmd); err != nil {
		return fmt.Errorf("start containerd: %w", err)
	}
	d.cmd, d.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(d.exited)
	return d.waitReady()
}

// waitReady polls the daemon's version until it answers or readyTimeout
// passes.
func (d *Daemon) waitReady() error {
	deadline := time.Now().Add(readyTimeout)
	for {
		c, err := containerd.New(d.socket, containerd.WithTimeout(time.Second))
		if err == nil {
			_, err = c.Version(context.Background())
			c.Close()
			if err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) || !d.running() {
			return fmt.Errorf("containerd did not answer within %s: %v\n%s", readyTimeout, err, d.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// running reports whether the daemon process is alive.
func (d *Daemon) running() bool {
	if d.cmd == nil {
		return false
	}
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// Stop stops the daemon (SIGTERM, SIGKILL after 10 s) and waits for it to
// exit; tasks and their shims keep running. Stopping a stopped daemon does
// nothing.
func (d *Daemon) Stop() {
	if !d.running() {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(stopGrace):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}

// Close deletes every task and container of the daemon (kill, then delete
// with the snapshot), stops it, kills the shims and their children that
// outlived it, detaches the mounts left below its dir and deletes the dir,
// along with the empty runc state dirs and cgroup parents of its
// namespaces. It is safe on a stopped or half-started daemon and reports
// nothing: a test's cleanup must go on.
func (d *Daemon) Close() {
	var nss []string
	if d.running() {
		nss = d.purge()
	}
	d.Stop()
	killShims(d.socket)
	unmountUnder(d.dir)
	_ = os.RemoveAll(d.dir)
	for _, ns := range nss {
		removeNamespaceLeftovers(ns)
	}
}

// logTail returns the last 4 KiB of the daemon's log.
func (d *Daemon) logTail() string {
	b, _ := os.ReadFile(d.LogPath())
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(b)
}

// spawner starts commands from one OS thread kept for the life of the test
// binary: Pdeathsig fires when the thread that forked the child exits, and
// Go discards threads that a goroutine locked (tests that join network
// namespaces do), which would kill the daemon in the middle of a test.
var spawner = sync.OnceValue(func() chan spawnRequest {
	requests := make(chan spawnRequest)
	go spawnLoop(requests)
	return requests
})

// spawnLoop is the spawner's goroutine. It runs until the test binary exits
// (internal/leaktest ignores it by this name): daemons may be started by any
// test, and a stopped spawner could not be started again.
func spawnLoop(requests <-chan spawnRequest) {
	runtime.LockOSThread()
	for r := range requests {
		r.done <- r.cmd.Start()
	}
}

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// startFromLockedThread starts cmd from the spawner's thread.
func startFromLockedThread(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	spawner() <- spawnRequest{cmd, done}
	return <-done
}
