package shim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/containerd/containerd/api/types"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/mount"
	"github.com/containerd/log"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Files the shim keeps in a container's bundle.
const (
	runnerConfigFile = "faaswasm-runner.json"
	// precompileConfigFile is the runner -precompile's config while it runs.
	precompileConfigFile = "faaswasm-precompile.json"
	pidFile              = "faaswasm.pid"
	rootfsDir            = "rootfs"
)

// taskState is where a task is in its life.
type taskState int

const (
	stateCreated taskState = iota
	stateRunning
	stateStopped
)

// wasmTask is one container of the pod the shim serves: a Wasm container's
// runner, created at Create (held at its gate) and released at Start, or the
// pod sandbox's pause process, running from Create.
type wasmTask struct {
	sandbox               bool
	id, bundle            string
	stdin, stdout, stderr string
	spec                  *specs.Spec
	mountedRootfs         string // unmounted at delete; "" if the shim mounted nothing
	cg                    *containerCgroup
	proc                  *spawned
	pid                   int
	exited                chan struct{} // closed once the runner was reaped

	mu         sync.Mutex
	state      taskState
	exitStatus uint32
	exitedAt   time.Time
}

// createTask prepares the container and starts its process: for a pod
// sandbox the image's pause binary (see sandboxProcess), for anything else a
// runner held at its gate (see runnerProcess). It mounts the root
// filesystem and creates the cgroup first. On error everything made so far
// is undone.
func (s *Service) createTask(ctx context.Context, id, bundle string, rootfs []*types.Mount, stdin, stdout, stderr string) (t *wasmTask, err error) {
	spec, err := loadSpec(bundle)
	if err != nil {
		return nil, err
	}
	t = &wasmTask{id: id, bundle: bundle, stdin: stdin, stdout: stdout, stderr: stderr, spec: spec,
		sandbox: isSandbox(spec), exited: make(chan struct{})}
	defer func() {
		if err != nil {
			t.release(ctx)
		}
	}()
	root, err := t.mountRootfs(rootfs)
	if err != nil {
		return t, err
	}
	out, err := openOutputs(stdout, stderr)
	if err != nil {
		return t, err
	}
	defer out.close()
	var req spawnRequest
	if t.sandbox {
		req, err = sandboxProcess(spec, root)
	} else {
		req, err = s.runnerProcess(ctx, id, bundle, out.log(), spec, root)
	}
	if err != nil {
		return t, err
	}
	req.stdout, req.stderr, req.spec = out.stdout, out.stderr, spec
	if t.proc, err = spawn(req); err != nil {
		return t, err
	}
	t.pid = t.proc.cmd.Process.Pid
	go t.wait(s)
	// The cgroup is made once the process exists (a systemd scope is started
	// with it); a runner is still held at its gate.
	if p := cgroupsPath(spec); p != "" {
		if t.cg, err = newCgroup(p, spec, t.pid); err != nil {
			return t, err
		}
		if s.oom != nil {
			if err := s.oom.Add(id, t.cg.oomTarget()); err != nil {
				log.G(ctx).WithError(err).Warn("faaswasm: no OOM events for this container")
			}
		}
	}
	if t.sandbox && spec.Hostname != "" && newNamespace(spec, specs.UTSNamespace) {
		if err := setHostname(t.pid, spec.Hostname); err != nil {
			return t, fmt.Errorf("hostname: %w", err)
		}
	}
	if err := setOOMScore(t.pid, spec); err != nil {
		log.G(ctx).WithError(err).Warn("faaswasm: cannot set oom_score_adj")
	}
	if err := writePidFile(filepath.Join(bundle, pidFile), t.pid); err != nil {
		return t, fmt.Errorf("pid file: %w", err)
	}
	return t, nil
}

// mountRootfs mounts the container's root filesystem into the bundle, if
// containerd passed mounts, and returns the root to use ("" = none).
func (t *wasmTask) mountRootfs(rootfs []*types.Mount) (string, error) {
	if len(rootfs) == 0 {
		return specRootfs(t.spec, t.bundle), nil
	}
	root := filepath.Join(t.bundle, rootfsDir)
	if err := os.MkdirAll(root, 0o711); err != nil {
		return "", fmt.Errorf("rootfs: %w", err)
	}
	mounts := make([]mount.Mount, 0, len(rootfs))
	for _, m := range rootfs {
		mounts = append(mounts, mount.Mount{Type: m.Type, Source: m.Source, Options: m.Options})
	}
	if err := mount.All(mounts, root); err != nil {
		return "", fmt.Errorf("mount rootfs: %w", err)
	}
	t.mountedRootfs = root
	return root, nil
}

// runnerProcess finds the module, writes the runner config, puts the
// module into the node cache if needed (see precompile; its log goes to
// containerLog), and describes the gated runner.
func (s *Service) runnerProcess(ctx context.Context, id, bundle string, containerLog io.Writer, spec *specs.Spec, root string) (spawnRequest, error) {
	modulePath, err := findModule(spec, root)
	if err != nil {
		// Not in the root filesystem: a Wasm OCI artifact keeps its module
		// in a layer that containerd cannot unpack.
		fromImage, ierr := moduleFromImage(ctx, s.address, s.namespace, id, s.cacheDir, s.cacheLimit)
		if ierr != nil {
			return spawnRequest{}, fmt.Errorf("%w (nor in the image's layers: %v)", err, ierr)
		}
		modulePath = fromImage
	}
	cfgPath := filepath.Join(bundle, runnerConfigFile)
	cfg, err := runnerConfig(id, spec, modulePath, s.cacheDir)
	if err != nil {
		return spawnRequest{}, err
	}
	cfg.CacheLimit, cfg.IdleRelease = s.cacheLimit, s.idleRelease
	if err := runspec.WriteConfig(cfgPath, cfg); err != nil {
		return spawnRequest{}, err
	}
	if err := s.precompile(ctx, id, bundle, containerLog, cfg); err != nil {
		return spawnRequest{}, err
	}
	// A clean environment: Go picks GOMAXPROCS from the cgroup CPU limit.
	return spawnRequest{path: s.runnerPath, args: []string{"-config", cfgPath}, dir: bundle, gate: true,
		env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}, nil
}

// sandboxProcess describes a pod sandbox's process: the spec's program (the
// pause binary) run chrooted in the image's root filesystem, as the spec's
// user, in the namespaces the spec asks for. Unlike runc it applies no
// seccomp profile and keeps the capability bounding set: the pause binary
// is the cluster's own sandbox image and runs no workload.
func sandboxProcess(spec *specs.Spec, root string) (spawnRequest, error) {
	if spec.Process == nil || len(spec.Process.Args) == 0 || !filepath.IsAbs(spec.Process.Args[0]) {
		return spawnRequest{}, fmt.Errorf("sandbox: the spec names no absolute program: %w", errdefs.ErrInvalidArgument)
	}
	if root == "" {
		return spawnRequest{}, fmt.Errorf("sandbox: no root filesystem: %w", errdefs.ErrInvalidArgument)
	}
	dir := spec.Process.Cwd
	if dir == "" {
		dir = "/"
	}
	return spawnRequest{path: spec.Process.Args[0], args: spec.Process.Args[1:], env: spec.Process.Env,
		dir: dir, chroot: root, cred: credential(spec)}, nil
}

// newNamespace reports whether the spec asks for a new namespace of type t.
func newNamespace(s *specs.Spec, t specs.LinuxNamespaceType) bool {
	if s.Linux == nil {
		return false
	}
	for _, ns := range s.Linux.Namespaces {
		if ns.Type == t {
			return ns.Path == ""
		}
	}
	return false
}

// wait reaps the runner, records its exit and publishes it.
func (t *wasmTask) wait(s *Service) {
	waitProcess(t.proc.cmd)
	t.mu.Lock()
	t.state = stateStopped
	t.exitStatus = exitStatus(t.proc.cmd.ProcessState)
	t.exitedAt = time.Now()
	status, at := t.exitStatus, t.exitedAt
	t.mu.Unlock()
	close(t.exited)
	s.publishExit(t.id, t.pid, status, at)
}

// readyTimeout bounds how long Start waits for a released runner to
// listen (it loads a module that Create already compiled: milliseconds).
const readyTimeout = 30 * time.Second

// start releases the runner from its gate and returns once it listens, so
// a started Wasm container serves at once. A runner that exits before listening is not a Start error: its
// exit is reported like any other, with the reason in the container log.
func (t *wasmTask) start() error {
	t.mu.Lock()
	switch t.state {
	case stateRunning:
		t.mu.Unlock()
		return fmt.Errorf("start %s: already started: %w", t.id, errdefs.ErrFailedPrecondition)
	case stateStopped:
		t.mu.Unlock()
		return fmt.Errorf("start %s: the runner has exited: %w", t.id, errdefs.ErrFailedPrecondition)
	}
	if t.proc.gate != nil {
		if err := t.proc.gate.Close(); err != nil {
			t.mu.Unlock()
			return fmt.Errorf("start %s: %w", t.id, err)
		}
	}
	t.state = stateRunning
	ready := t.proc.ready
	t.mu.Unlock()
	if ready == nil {
		return nil
	}
	defer ready.Close()
	return waitReady(t.id, ready, readyTimeout)
}

// waitReady waits until the runner writes to its ready pipe or closes it.
func waitReady(id string, ready *os.File, timeout time.Duration) error {
	if err := ready.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return fmt.Errorf("start %s: ready pipe: %w", id, err)
	}
	var b [1]byte
	_, err := ready.Read(b[:])
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("start %s: the runner is not listening %s after its release: %w", id, timeout, errdefs.ErrUnavailable)
	default:
		return fmt.Errorf("start %s: ready pipe: %w", id, err)
	}
}

// kill signals the runner.
func (t *wasmTask) kill(sig uint32) error {
	select {
	case <-t.exited:
		return fmt.Errorf("kill %s: process already finished: %w", t.id, errdefs.ErrNotFound)
	default:
	}
	if err := unix.Kill(t.pid, unix.Signal(sig)); err != nil {
		if err == unix.ESRCH {
			return fmt.Errorf("kill %s: process already finished: %w", t.id, errdefs.ErrNotFound)
		}
		return fmt.Errorf("kill %s: %w", t.id, err)
	}
	return nil
}

// snapshot returns the task's state, exit status and exit time.
func (t *wasmTask) snapshot() (taskState, uint32, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.state, t.exitStatus, t.exitedAt
}

// release kills a runner still alive, then removes the cgroup, the rootfs
// mount and the shim's files. Safe to call on a half-created task.
func (t *wasmTask) release(ctx context.Context) {
	if t.proc != nil {
		select {
		case <-t.exited:
		default:
			if t.proc.gate != nil {
				t.proc.gate.Close()
			}
			if t.proc.ready != nil {
				t.proc.ready.Close()
			}
			unix.Kill(t.pid, unix.SIGKILL)
			<-t.exited
		}
	}
	if err := deleteCgroup(t.cg); err != nil {
		log.G(ctx).WithError(err).Warn("faaswasm: cgroup left behind")
	}
	cleanupBundle(ctx, t.bundle, t.mountedRootfs)
}

// cleanupBundle unmounts rootfs (if not "") and removes the shim's files.
func cleanupBundle(ctx context.Context, bundle, rootfs string) {
	if rootfs != "" {
		if err := mount.UnmountAll(rootfs, unix.MNT_DETACH); err != nil {
			log.G(ctx).WithError(err).Warn("faaswasm: rootfs still mounted")
		}
	}
	os.Remove(filepath.Join(bundle, runnerConfigFile))
	os.Remove(filepath.Join(bundle, precompileConfigFile))
	os.Remove(filepath.Join(bundle, pidFile))
}
