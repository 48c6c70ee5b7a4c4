package containers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/provider"
)

// replica is one container of a function and the goroutines watching it.
type replica struct {
	id        string
	name      string
	namespace string
	spec      Spec   // what the container runs: recreateContainer builds it again from this
	digest    string // of the image the container was created from
	container containerd.Container
	dir       string
	port      int
	tail      *tailer

	ctx    context.Context // ends when watching stops (stop or Close)
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	runCtx    context.Context // ends when the current task exits
	runCancel context.CancelFunc
	pid       uint32
	ip        string
	running   bool
	ready     bool
	readyOnce bool // answered a health check since the current start
	noPort    bool // "never opened" already reported for the current start
	failures  int  // consecutive failed health checks
	started   time.Time
	restarts  int
	err       string
}

// snapshot returns the replica's public state.
func (r *replica) snapshot() Replica {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := Replica{ID: r.id, Ready: r.ready, Started: r.started, Restarts: r.restarts, Err: r.err}
	if r.running && r.ip != "" {
		out.Addr = net.JoinHostPort(r.ip, strconv.Itoa(r.port))
	}
	return out
}

// newReplica wraps a container of spec s created from the image with
// digest; the caller starts its task and watchers.
func (m *Manager) newReplica(s Spec, digest string, c containerd.Container) *replica {
	name, namespace := s.Name, s.Namespace
	dir := filepath.Join(m.opts.stateDir, "replicas", c.ID())
	r := &replica{id: c.ID(), name: name, namespace: namespace, spec: s, digest: digest, container: c, dir: dir, port: m.opts.port}
	r.ctx, r.cancel = context.WithCancel(m.ctx(context.Background()))
	sink := m.opts.sink
	r.tail = newTailer(filepath.Join(dir, "output.log"), m.opts.maxLogBytes, func(line string) {
		if sink != nil {
			sink(name, namespace, r.id, line)
		}
	})
	return r
}

// startReplicas creates n replicas; on failure the ones created are removed.
func (m *Manager) startReplicas(ctx context.Context, s Spec, digest string, img containerd.Image, n int) ([]*replica, error) {
	created := make([]*replica, 0, n)
	for range n {
		r, err := m.startReplica(ctx, s, digest, img)
		if err != nil {
			if serr := m.stopReplicas(ctx, created); serr != nil {
				m.log.Warn("cleanup after failed start", "function", s.Name, "err", serr)
			}
			return nil, err
		}
		created = append(created, r)
	}
	return created, nil
}

// startReplica creates a container and starts its task and watchers.
func (m *Manager) startReplica(ctx context.Context, s Spec, digest string, img containerd.Image) (*replica, error) {
	id := replicaID(s.Name, s.Namespace)
	c, err := m.createContainer(ctx, id, s, digest, img)
	if err != nil {
		return nil, err
	}
	r := m.newReplica(s, digest, c)
	exitCh, err := m.startTask(ctx, r)
	if err != nil {
		cctx := context.WithoutCancel(ctx)
		if derr := c.Delete(cctx, containerd.WithSnapshotCleanup); derr != nil {
			m.log.Warn("delete container after failed start", "replica", id, "err", derr)
		}
		os.RemoveAll(r.dir)
		return nil, err
	}
	m.watch(r, exitCh)
	return r, nil
}

// createContainer writes a replica's files and creates its container,
// labelled with the manager's owner id, from spec s and the image img
// (whose digest it records).
func (m *Manager) createContainer(ctx context.Context, id string, s Spec, digest string, img containerd.Image) (containerd.Container, error) {
	dir := filepath.Join(m.opts.stateDir, "replicas", id)
	if err := writeEtcFiles(dir, id, m.HostAddress()); err != nil {
		return nil, fmt.Errorf("replica %s: %w", id, err)
	}
	stored, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("replica %s: encode spec: %w", id, err)
	}
	labels := s.containerLabels()
	labels[labelImageDigest] = digest
	labels[labelOwner] = m.owner
	c, err := m.client.NewContainer(ctx, id,
		containerd.WithImage(img),
		containerd.WithSnapshotter(m.opts.snapshotter),
		containerd.WithNewSnapshot(id, img),
		containerd.WithRuntime(m.opts.runtime, nil),
		containerd.WithContainerLabels(labels),
		containerd.WithContainerExtension(specExtension, &specAny{value: stored}),
		containerd.WithNewSpec(m.specOpts(s, img, dir, id)...),
	)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("create container %s: %w", id, err)
	}
	return c, nil
}

// specOpts builds the OCI runtime spec of a replica.
func (m *Manager) specOpts(s Spec, img containerd.Image, dir, id string) []oci.SpecOpts {
	var env []string
	keys := make([]string, 0, len(s.Env))
	for k := range s.Env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = append(env, k+"="+s.Env[k])
	}
	if s.EnvProcess != "" {
		env = append(env, "fprocess="+s.EnvProcess)
	}
	mounts := []specs.Mount{
		{Destination: "/etc/hosts", Type: "bind", Source: filepath.Join(dir, "hosts"), Options: []string{"rbind", "ro"}},
		{Destination: "/etc/resolv.conf", Type: "bind", Source: filepath.Join(dir, "resolv.conf"), Options: []string{"rbind", "ro"}},
	}
	if s.SecretsDir != "" {
		mounts = append(mounts, specs.Mount{Destination: provider.SecretsPath, Type: "bind", Source: s.SecretsDir, Options: []string{"rbind", "ro"}})
	}
	if s.ReadOnlyRootFS {
		mounts = append(mounts, specs.Mount{Destination: "/tmp", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "mode=1777", "size=65536k"}})
	}
	opts := []oci.SpecOpts{oci.WithImageConfig(img), oci.WithHostname(id), oci.WithEnv(env), oci.WithMounts(mounts)}
	if s.MemoryLimit > 0 {
		opts = append(opts, oci.WithMemoryLimit(uint64(s.MemoryLimit)))
	}
	if s.CPUMillis > 0 {
		opts = append(opts, oci.WithCPUCFS(max(s.CPUMillis*100, 1000), 100000))
	}
	if s.ReadOnlyRootFS {
		opts = append(opts, oci.WithRootFSReadonly())
	}
	return opts
}

// startTask creates the replica's task, attaches it to the network and
// starts it. It returns the channel that reports the task's exit.
func (m *Manager) startTask(ctx context.Context, r *replica) (<-chan containerd.ExitStatus, error) {
	if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return nil, fmt.Errorf("replica %s: %w", r.id, err)
	}
	task, err := r.container.NewTask(ctx, cio.LogFile(r.tail.path))
	if err != nil {
		return nil, fmt.Errorf("create task %s: %w", r.id, err)
	}
	cleanup := func() {
		cctx := context.WithoutCancel(ctx)
		if _, err := task.Delete(cctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
			m.log.Warn("delete task after failed start", "replica", r.id, "err", err)
		}
	}
	ip, err := m.attach(ctx, r.id, task.Pid())
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("network for %s: %w", r.id, err)
	}
	exitCh, err := task.Wait(r.ctx)
	if err == nil {
		err = task.Start(ctx)
	}
	if err == nil {
		_, err = r.container.SetLabels(ctx, map[string]string{labelIP: ip, labelStarted: time.Now().UTC().Format(time.RFC3339Nano)})
	}
	if err != nil {
		if derr := m.detach(context.WithoutCancel(ctx), r.id, task.Pid()); derr != nil {
			m.log.Warn("release network after failed start", "replica", r.id, "err", derr)
		}
		cleanup()
		return nil, fmt.Errorf("start task %s: %w", r.id, err)
	}
	r.setRunning(task.Pid(), ip, time.Now())
	return exitCh, nil
}

// setRunning records a freshly started (or adopted) task.
func (r *replica) setRunning(pid uint32, ip string, started time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pid, r.ip, r.running, r.started = pid, ip, true, started
	if r.runCancel != nil {
		r.runCancel()
	}
	r.runCtx, r.runCancel = context.WithCancel(r.ctx)
	r.ready, r.readyOnce, r.noPort, r.failures = false, false, false, 0
}

// deleteTask stops and removes the replica's task, if any, and releases its
// network lease (the veth goes with the task's network namespace).
func (m *Manager) deleteTask(ctx context.Context, r *replica) error {
	task, err := r.container.Task(ctx, nil)
	if errdefs.IsNotFound(err) {
		return m.detach(ctx, r.id, 0)
	}
	if err != nil {
		return fmt.Errorf("load task %s: %w", r.id, err)
	}
	var errs []error
	if st, err := task.Status(ctx); err == nil && st.Status != containerd.Stopped && st.Status != containerd.Created {
		// Stop gracefully while the network is still up, so calls in flight finish.
		errs = append(errs, m.killTask(ctx, task))
	}
	errs = append(errs, m.detach(ctx, r.id, 0))
	if _, err := task.Delete(ctx, containerd.WithProcessKill); err != nil && !errdefs.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete task %s: %w", r.id, err))
	}
	return errors.Join(errs...)
}

// killTask sends SIGTERM, then SIGKILL after the stop timeout.
func (m *Manager) killTask(ctx context.Context, task containerd.Task) error {
	exitCh, err := task.Wait(ctx)
	if err != nil {
		return fmt.Errorf("wait task %s: %w", task.ID(), err)
	}
	if err := task.Kill(ctx, syscall.SIGTERM); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("signal task %s: %w", task.ID(), err)
	}
	select {
	case <-exitCh:
		return nil
	case <-time.After(m.opts.stopTimeout):
	}
	if err := task.Kill(ctx, syscall.SIGKILL, containerd.WithKillAll); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("kill task %s: %w", task.ID(), err)
	}
	select {
	case <-exitCh:
		return nil
	case <-time.After(10 * time.Second):
		return fmt.Errorf("task %s did not exit after SIGKILL", task.ID())
	}
}

// stopReplicas removes replicas concurrently.
func (m *Manager) stopReplicas(ctx context.Context, reps []*replica) error {
	errs := make([]error, len(reps))
	var wg sync.WaitGroup
	for i, r := range reps {
		wg.Go(func() { errs[i] = m.stopReplica(ctx, r) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// stopReplica stops watching r, then deletes its task, network lease,
// container, snapshot and files. It works with a caller context that has
// already ended.
func (m *Manager) stopReplica(ctx context.Context, r *replica) error {
	r.detachWatchers()
	ctx, cancel := context.WithTimeout(m.ctx(context.WithoutCancel(ctx)), m.opts.stopTimeout+30*time.Second)
	defer cancel()
	errs := []error{m.deleteTask(ctx, r)}
	if err := r.container.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete container %s: %w", r.id, err))
	}
	m.transport.CloseIdleConnections()
	r.tail.poll()
	r.tail.close()
	if err := os.RemoveAll(r.dir); err != nil {
		errs = append(errs, err)
	}
	r.mu.Lock()
	r.running, r.ready = false, false
	r.mu.Unlock()
	return errors.Join(errs...)
}

// detachWatchers stops the replica's goroutines and waits for them.
func (r *replica) detachWatchers() {
	r.cancel()
	r.wg.Wait()
}

// writeEtcFiles writes the replica's /etc/hosts and /etc/resolv.conf. The
// hosts file maps provider.HostAlias to hostAddr (the bridge gateway) when
// set.
func writeEtcFiles(dir, hostname, hostAddr string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	hosts := "127.0.0.1\tlocalhost " + hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if hostAddr != "" {
		hosts += hostAddr + "\t" + provider.HostAlias + "\n"
	}
	if err := os.WriteFile(filepath.Join(dir, "hosts"), []byte(hosts), 0o644); err != nil {
		return err
	}
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "resolv.conf"), containerResolvConf(host), 0o644)
}
