package shim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/plugin"
	shimlib "github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	"github.com/faas-wasm/faas-wasm/provider"
)

// RuntimeType is the containerd runtime type served by this shim.
const RuntimeType = "io.containerd.faaswasm.v1"

// Environment of the shim (inherited from containerd).
const (
	// EnvRunner overrides the runner binary's path.
	EnvRunner = "FAASWASM_RUNNER"
	// EnvCacheDir overrides the node's compiled-module cache directory.
	EnvCacheDir = "FAASWASM_CACHE_DIR"
	// EnvCacheLimit overrides the bound of the node cache's compiled
	// modules, and separately of its module files: a quantity of bytes as
	// the provider's --cache-limit takes ("1Gi", "512Mi", or a plain byte
	// count; default diskcache.DefaultLimit; 0: no bound).
	EnvCacheLimit = "FAASWASM_CACHE_LIMIT"
	// EnvIdleRelease overrides how long a Wasm function goes without
	// calls before its runner gives back the memory it keeps for the next
	// call (a Go duration; "0" or negative: never; default
	// runspec.DefaultIdleRelease).
	EnvIdleRelease = "FAASWASM_IDLE_RELEASE"
	// EnvTrustedBuildKeys overrides the files of PEM ed25519 public keys
	// (comma-separated; the format of the provider's --trusted-build-key)
	// whose signed precompiled layers are installed instead of compiling
	// (default runspec.DefaultTrustedBuildKeys when that file exists).
	EnvTrustedBuildKeys = "FAASWASM_TRUSTED_BUILD_KEYS"
	// EnvShimGroup sets which containers share a shim daemon: GroupPod
	// (default) or GroupNode; it overrides runspec.DefaultShimGroup (see
	// ShimGroup).
	EnvShimGroup = "FAASWASM_SHIM_GROUP"

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

// CacheLimit returns $FAASWASM_CACHE_LIMIT in bytes (read by
// provider.ParseBytes, like the provider's --cache-limit) or
// diskcache.DefaultLimit.
//
// # Errors
// When the variable is set to something else than a quantity of bytes ≥ 0.
func CacheLimit() (int64, error) {
	v := os.Getenv(EnvCacheLimit)
	if v == "" {
		return diskcache.DefaultLimit, nil
	}
	n, err := provider.ParseBytes(EnvCacheLimit, v)
	if err != nil {
		return 0, fmt.Errorf("%w (0 for no bound)", err)
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

// TrustedBuildKeys returns the files of the node's trusted build keys:
// $FAASWASM_TRUSTED_BUILD_KEYS (comma-separated), else
// runspec.DefaultTrustedBuildKeys when it exists, else none.
//
// # Errors
// When a file named cannot be read or holds no ed25519 public key
// (precompiled.ErrKey).
func TrustedBuildKeys() ([]string, error) {
	var files []string
	if v := os.Getenv(EnvTrustedBuildKeys); v != "" {
		for _, f := range strings.Split(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				files = append(files, f)
			}
		}
	} else if _, err := os.Stat(runspec.DefaultTrustedBuildKeys); err == nil {
		files = []string{runspec.DefaultTrustedBuildKeys}
	}
	if _, err := precompiled.LoadKeyRing(files...); err != nil {
		return nil, fmt.Errorf("trusted build keys (%s): %w", EnvTrustedBuildKeys, err)
	}
	return files, nil
}

// Values of $FAASWASM_SHIM_GROUP.
const (
	// GroupPod gives each CRI pod (its sandbox and its Wasm containers)
	// its own shim daemon: a daemon's crash or stall touches one pod.
	GroupPod = "pod"
	// GroupNode gives all containers of a containerd namespace on the node
	// one shim daemon, so its memory counts once per node instead of once
	// per pod (4.4 MiB of anonymous memory per Wasm pod, see
	// TestIdlePodMemory). The price: a crash of that daemon (a panic, an
	// OOM kill) stops every Wasm pod of the node at once, and a container
	// created while the daemon shuts down after the node's last container
	// was deleted fails its create (the kubelet retries it).
	GroupNode = "node"
)

// shimGroupFile is runspec.DefaultShimGroup (a variable for tests).
var shimGroupFile = runspec.DefaultShimGroup

// ShimGroup returns $FAASWASM_SHIM_GROUP, else the content of
// runspec.DefaultShimGroup (which the node installer writes), else
// GroupPod.
//
// # Errors
// When the one set says something else than GroupPod or GroupNode, or the
// file cannot be read.
func ShimGroup() (string, error) {
	v, from := os.Getenv(EnvShimGroup), EnvShimGroup
	if v == "" {
		b, err := os.ReadFile(shimGroupFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
			return GroupPod, nil
		case err != nil:
			return "", fmt.Errorf("shim group: %w", err)
		}
		v, from = strings.TrimSpace(string(b)), shimGroupFile
	}
	if v != GroupPod && v != GroupNode {
		return "", fmt.Errorf("shim group %q (%s): want %q or %q", v, from, GroupPod, GroupNode)
	}
	return v, nil
}

// daemonGroup names the shim daemon container id joins: with GroupNode the
// node's, else its CRI pod's (io.kubernetes.cri.sandbox-id), else its own.
func daemonGroup(id string, spec *specs.Spec) (string, error) {
	mode, err := ShimGroup()
	if err != nil {
		return "", err
	}
	if mode == GroupNode {
		return GroupNode, nil
	}
	if sb := spec.Annotations[AnnotationSandboxID]; sb != "" {
		return sb, nil
	}
	return id, nil
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
// from this runtime's name, the containerd namespace and the sandbox id; a
// container without that annotation gets its own. With
// $FAASWASM_SHIM_GROUP=node (or runspec.DefaultShimGroup saying node) all
// containers of the namespace share one (see GroupNode). The first call starts the daemon, later ones return its
// address.
//
// # Errors
// Errors reading the bundle's spec, a bad $FAASWASM_SHIM_GROUP or errors
// starting the daemon.
func (m Manager) Start(ctx context.Context, id string, opts shimlib.StartOpts) (string, error) {
	bundle, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	spec, err := loadSpec(bundle)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	group, err := daemonGroup(id, spec)
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	return startDaemon(ctx, id, group, bundle, opts)
}

func startDaemon(ctx context.Context, id, group, bundle string, opts shimlib.StartOpts) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("start %s: %w", id, err)
	}
	// shimlib.Command binds the command to its context, and the shim library
	// ends ctx as soon as this start action returns: the daemon must not die
	// with it, so it gets ctx's values without its end.
	cmd, err := shimlib.Command(context.WithoutCancel(ctx), &shimlib.CommandConfig{
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
		if daemonListens(address) {
			// The group's daemon already serves (or containerd retried).
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

// daemonListens reports whether a daemon may still listen on the shim
// socket at address. Only a refused connection (or a missing file) means
// the socket is stale: a live daemon's socket with a full backlog refuses
// with EAGAIN, and a start action starved of CPU misses a short dial
// timeout (shimlib.CanConnect's 100 ms). Removing such a socket would
// start a second daemon for the group and cut the first off from
// containerd after its restart (its address file names the new socket).
func daemonListens(address string) bool {
	conn, err := shimlib.AnonDialer(address, 5*time.Second)
	if err == nil {
		conn.Close()
		return true
	}
	return !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT)
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
