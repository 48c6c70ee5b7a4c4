package shim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/plugin"
	shimlib "github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
	"golang.org/x/sys/unix"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
)

// RuntimeType is the containerd runtime type served by this shim.
const RuntimeType = "io.containerd.faaswasm.v1"

// Environment of the shim (inherited from containerd).
const (
	// EnvRunner overrides the runner binary's path.
	EnvRunner = "FAASWASM_RUNNER"
	// EnvCacheDir overrides the node's compiled-module cache directory.
	EnvCacheDir = "FAASWASM_CACHE_DIR"
	// EnvCacheLimit overrides the bound, in bytes, of the node cache's
	// compiled modules, and separately of its module files (default
	// diskcache.DefaultLimit; 0: no bound).
	EnvCacheLimit = "FAASWASM_CACHE_LIMIT"
	// EnvIdleRelease overrides how long a Wasm function goes without
	// calls before its runner gives back the memory it keeps for the next
	// call (a Go duration; "0" or negative: never; default
	// runspec.DefaultIdleRelease).
	EnvIdleRelease = "FAASWASM_IDLE_RELEASE"

	// DefaultCacheDir is the node's compiled-module cache, shared by every
	// Wasm container of the node.
	DefaultCacheDir = "/var/lib/faas-wasm/cache"
	// RunnerBinary is the runner's file name, looked up beside the shim
	// binary, then on PATH.
	RunnerBinary = "faaswasm-runner"
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

// CacheLimit returns $FAASWASM_CACHE_LIMIT (bytes) or diskcache.DefaultLimit.
//
// # Errors
// When the variable is set to something else than a byte count ≥ 0.
func CacheLimit() (int64, error) {
	v := os.Getenv(EnvCacheLimit)
	if v == "" {
		return diskcache.DefaultLimit, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: not a byte count (0 for no bound)", EnvCacheLimit, v)
	}
	return n, nil
}

// IdleRelease returns $FAASWASM_IDLE_RELEASE for runspec.Config.IdleRelease:
// 0 (runspec.DefaultIdleRelease) when unset, negative (never) for "0".
//
// # Errors
// When the variable is set but is not a Go duration.
func IdleRelease() (time.Duration, error) {
	v := os.Getenv(EnvIdleRelease)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: want a duration such as 30s, or 0 for never: %w", EnvIdleRelease, v, err)
	}
	if d <= 0 {
		return -1, nil
	}
	return d, nil
}

// Manager implements the shim binary's start and delete actions
// (runtime/v2/shim.Manager).
type Manager struct{}

// NewManager returns the shim's Manager.
func NewManager() Manager { return Manager{} }

// Name returns RuntimeType.
func (Manager) Name() string { return RuntimeType }

// Start runs in the bundle directory. Containers of one CRI pod (same
// io.kubernetes.cri.sandbox-id) share one shim daemon, on a socket derived
// from this runtime's name and the sandbox id; a container without that
// annotation gets its own. The first call starts the daemon, later ones
// return its address.
//
// # Errors
// Errors reading the bundle's spec or starting the daemon.
func (m Manager) Start(ctx context.Context, id string, opts shimlib.StartOpts) (string, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	spec, err := loadSpec(bundle)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	group := id
	if sb := spec.Annotations[AnnotationSandboxID]; sb != "" {
		group = sb
	}
	return startDaemon(ctx, id, group, bundle, opts)
}

func startDaemon(ctx context.Context, id, group, bundle string, opts shimlib.StartOpts) (string, error) {
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
	address, err := shimlib.SocketAddress(ctx, opts.Address, RuntimeType+"/"+group)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	socket, err := shimlib.NewSocket(address)
	if err != nil {
		if !shimlib.SocketEaddrinuse(err) {
			return "", fmt.Errorf("start %s: socket: %w", id, err)
		}
		if shimlib.CanConnect(address) {
			// The pod's daemon already serves (or containerd retried).
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

// Stop is the delete action containerd runs in the bundle after a shim went
// away: the container's process, if still alive, is killed, then whatever
// is left in its cgroup, and the cgroup and rootfs mount are removed.
//
// # Errors
// Errors getting the bundle directory.
func (m Manager) Stop(ctx context.Context, id string) (shimlib.StopStatus, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return shimlib.StopStatus{}, fmt.Errorf("delete %s: %w", id, err)
	}
	st := shimlib.StopStatus{ExitedAt: time.Now(), ExitStatus: 128 + int(unix.SIGKILL)}
	if pid := livePid(filepath.Join(bundle, pidFile)); pid > 0 {
		st.Pid = pid
		if err := unix.Kill(pid, unix.SIGKILL); err == nil {
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
