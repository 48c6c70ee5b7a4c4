package shim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/plugin"
	"github.com/containerd/containerd/protobuf"
	"github.com/containerd/containerd/protobuf/proto"
	shimlib "github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"
)

// RuntimeType is the containerd runtime type served by this shim.
const RuntimeType = "io.containerd.faaswasm.v1"

// Environment of the shim (inherited from containerd).
const (
	// EnvRunner overrides the runner binary's path.
	EnvRunner = "FAASWASM_RUNNER"
	// EnvCacheDir overrides the node's compiled-module cache directory.
	EnvCacheDir = "FAASWASM_CACHE_DIR"
	// EnvRuncShim overrides the shim that runs pod sandboxes.
	EnvRuncShim = "FAASWASM_RUNC_SHIM"

	// DefaultCacheDir is the node's compiled-module cache, shared by every
	// Wasm container of the node.
	DefaultCacheDir = "/var/lib/faas-wasm/cache"
	// RunnerBinary is the runner's file name, looked up beside the shim
	// binary, then on PATH.
	RunnerBinary = "faaswasm-runner"
	// RuncShimBinary runs pod sandboxes (the pause container).
	RuncShimBinary = "containerd-shim-runc-v2"

	// delegateFile marks a bundle whose task was handed to the runc shim.
	delegateFile = "faaswasm-delegate"
)

// RunnerPath returns the runner binary: $FAASWASM_RUNNER, else
// faaswasm-runner beside this executable, else on PATH.
//
// # Errors
// An error wrapping exec.ErrNotFound when no runner can be found.
func RunnerPath() (string, error) {
	if p := os.Getenv(EnvRunner); p != "" {
		return p, nil
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), RunnerBinary)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(RunnerBinary)
	if err != nil {
		return "", fmt.Errorf("find %s: %w", RunnerBinary, err)
	}
	return p, nil
}

// CacheDir returns $FAASWASM_CACHE_DIR or DefaultCacheDir.
func CacheDir() string {
	if d := os.Getenv(EnvCacheDir); d != "" {
		return d
	}
	return DefaultCacheDir
}

func runcShim() string {
	if p := os.Getenv(EnvRuncShim); p != "" {
		return p
	}
	return RuncShimBinary
}

// Manager implements the shim binary's start and delete actions
// (runtime/v2/shim.Manager).
type Manager struct{}

// NewManager returns the shim's Manager.
func NewManager() Manager { return Manager{} }

// Name returns RuntimeType.
func (Manager) Name() string { return RuntimeType }

// Start runs in the bundle directory. A CRI pod sandbox is handed to the
// runc shim (its address is returned, so runc's shim grouping applies to
// sandboxes only); any other container gets its own shim daemon on a socket
// derived from its id and this runtime's name, so it can never land in a
// runc shim.
//
// # Errors
// Errors reading the bundle's spec, starting the daemon or the runc shim.
func (m Manager) Start(ctx context.Context, id string, opts shimlib.StartOpts) (string, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	spec, err := loadSpec(bundle)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	if isSandbox(spec) {
		return delegateStart(ctx, id, bundle, opts)
	}
	return startDaemon(ctx, id, bundle, opts)
}

func startDaemon(ctx context.Context, id, bundle string, opts shimlib.StartOpts) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	cmd, err := shimlib.Command(ctx, &shimlib.CommandConfig{
		Runtime: self, Address: opts.Address, TTRPCAddress: opts.TTRPCAddress, Path: bundle,
		Args: []string{"-id", id},
	})
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	address, err := shimlib.SocketAddress(ctx, opts.Address, RuntimeType+"/"+id)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	socket, err := shimlib.NewSocket(address)
	if err != nil {
		if !shimlib.SocketEaddrinuse(err) {
			return "", fmt.Errorf("start %s: socket: %w", id, err)
		}
		if shimlib.CanConnect(address) {
			// A daemon for this id already serves: containerd retried.
			if err := shimlib.WriteAddress("address", address); err != nil {
				return "", fmt.Errorf("start %s: %w", id, err)
			}
			return address, nil
		}
		if err := shimlib.RemoveSocket(address); err != nil {
			return "", fmt.Errorf("start %s: remove stale socket: %w", id, err)
		}
		if socket, err = shimlib.NewSocket(address); err != nil {
			return "", fmt.Errorf("start %s: socket: %w", id, err)
		}
	}
	socket.SetUnlinkOnClose(false)
	f, err := socket.File()
	socket.Close()
	if err != nil {
		shimlib.RemoveSocket(address)
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	defer f.Close()
	cmd.ExtraFiles = append(cmd.ExtraFiles, f)
	if err := cmd.Start(); err != nil {
		shimlib.RemoveSocket(address)
		return "", fmt.Errorf("start %s: daemon: %w", id, err)
	}
	go cmd.Wait()
	if err := shimlib.WriteAddress("address", address); err != nil {
		cmd.Process.Kill()
		shimlib.RemoveSocket(address)
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	return address, nil
}

// runcArgs are the arguments containerd gave this shim, for the runc shim.
func runcArgs(ctx context.Context, id, address, action string) ([]string, error) {
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return []string{"-namespace", ns, "-address", address, "-publish-binary", self, "-id", id, action}, nil
}

func delegateStart(ctx context.Context, id, bundle string, opts shimlib.StartOpts) (string, error) {
	args, err := runcArgs(ctx, id, opts.Address, "start")
	if err != nil {
		return "", fmt.Errorf("start sandbox %s: %w", id, err)
	}
	if opts.Debug {
		args = append([]string{"-debug"}, args...)
	}
	if err := os.WriteFile(filepath.Join(bundle, delegateFile), []byte(runcShim()), 0o600); err != nil {
		return "", fmt.Errorf("start sandbox %s: %w", id, err)
	}
	cmd := exec.CommandContext(ctx, runcShim(), args...)
	cmd.Dir, cmd.Stdin = bundle, os.Stdin
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("start sandbox %s with %s: %w: %s", id, runcShim(), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// Stop is the delete action containerd runs in the bundle after a shim went
// away: a sandbox is handed back to the runc shim; for a Wasm container a
// runner still alive is killed, and the cgroup and rootfs mount are removed.
//
// # Errors
// Errors of the runc shim's delete for sandboxes; errors reading the bundle.
func (m Manager) Stop(ctx context.Context, id string) (shimlib.StopStatus, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return shimlib.StopStatus{}, fmt.Errorf("delete %s: %w", id, err)
	}
	if bin, err := os.ReadFile(filepath.Join(bundle, delegateFile)); err == nil {
		return delegateStop(ctx, id, bundle, string(bin))
	}
	st := shimlib.StopStatus{ExitedAt: time.Now(), ExitStatus: 128 + int(unix.SIGKILL)}
	if b, err := os.ReadFile(filepath.Join(bundle, runnerPidFile)); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 && isRunner(pid) {
			st.Pid = pid
			if err := unix.Kill(pid, unix.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				return st, fmt.Errorf("delete %s: kill runner %d: %w", id, pid, err)
			}
			waitGone(pid, 5*time.Second)
		}
	}
	if spec, err := loadSpec(bundle); err == nil {
		if err := killCgroup(loadCgroup(cgroupsPath(spec)), 5*time.Second); err != nil {
			log.G(ctx).WithError(err).Warn("faaswasm: cgroup left behind")
		}
	}
	root := filepath.Join(bundle, rootfsDir)
	if _, err := os.Stat(root); err != nil {
		root = ""
	}
	cleanupBundle(ctx, bundle, root)
	return st, nil
}

// isRunner reports whether pid still runs the runner binary (the pid file
// may be older than a reused pid).
func isRunner(pid int) bool {
	exe, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe")
	return err == nil && filepath.Base(strings.TrimSuffix(exe, " (deleted)")) == RunnerBinary
}

// waitGone waits until pid has exited (gone or a zombie, either way out of
// its cgroup) or timeout passes.
func waitGone(pid int, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		s := string(b)
		if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && f[0] == "Z" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func delegateStop(ctx context.Context, id, bundle, bin string) (shimlib.StopStatus, error) {
	args, err := runcArgs(ctx, id, os.Getenv("GRPC_ADDRESS"), "delete")
	if err != nil {
		return shimlib.StopStatus{}, fmt.Errorf("delete sandbox %s: %w", id, err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = bundle
	out, err := cmd.Output()
	if err != nil {
		return shimlib.StopStatus{}, fmt.Errorf("delete sandbox %s with %s: %w", id, bin, err)
	}
	var resp taskAPI.DeleteResponse
	if err := proto.Unmarshal(out, &resp); err != nil {
		return shimlib.StopStatus{}, fmt.Errorf("delete sandbox %s: %w", id, err)
	}
	return shimlib.StopStatus{Pid: int(resp.Pid), ExitStatus: int(resp.ExitStatus), ExitedAt: protobuf.FromTimestamp(resp.ExitedAt)}, nil
}

// Register registers the task service as the shim's ttrpc plugin. Call it
// once before shim.RunManager.
func Register() {
	plugin.Register(&plugin.Registration{
		Type:     plugin.TTRPCPlugin,
		ID:       "task",
		Requires: []plugin.Type{plugin.EventPlugin, plugin.InternalPlugin},
		InitFn: func(ic *plugin.InitContext) (interface{}, error) {
			pp, err := ic.GetByID(plugin.EventPlugin, "publisher")
			if err != nil {
				return nil, err
			}
			ss, err := ic.GetByID(plugin.InternalPlugin, "shutdown")
			if err != nil {
				return nil, err
			}
			return NewService(ic.Context, ic.Address, pp.(shimlib.Publisher), ss.(shutdown.Service))
		},
	})
}
