package shim

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	eventstypes "github.com/containerd/containerd/api/events"
	taskAPI "github.com/containerd/containerd/api/runtime/task/v2"
	tasktypes "github.com/containerd/containerd/api/types/task"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/namespaces"
	"github.com/containerd/containerd/pkg/oom"
	oomv1 "github.com/containerd/containerd/pkg/oom/v1"
	oomv2 "github.com/containerd/containerd/pkg/oom/v2"
	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/protobuf"
	ptypes "github.com/containerd/containerd/protobuf/types"
	"github.com/containerd/containerd/runtime"
	shimlib "github.com/containerd/containerd/runtime/v2/shim"
	"github.com/containerd/log"
	"github.com/containerd/ttrpc"
	"github.com/containerd/typeurl/v2"
)

var _ taskAPI.TaskService = (*Service)(nil)

var empty = &ptypes.Empty{}

// Service is the task API of one shim daemon; it serves the containers of
// one pod (its sandbox and its Wasm containers), or one container outside
// Kubernetes, or with GroupNode all containers of the node's namespace. Every error it returns is translated to a gRPC status with
// errdefs.ToGRPC, so containerd sees errdefs classes.
type Service struct {
	ctx         context.Context // the shim's, with its containerd namespace
	publisher   shimlib.Publisher
	sd          shutdown.Service
	oom         oom.Watcher
	runnerPath  string
	cacheDir    string
	cacheLimit  int64         // bytes of compiled modules, and of module files (0: no bound)
	idleRelease time.Duration // runspec.Config.IdleRelease of every runner
	trustedKeys []string      // files of trusted build keys (see TrustedBuildKeys)
	address     string        // containerd's gRPC socket, for images' Wasm layers
	namespace   string

	mu    sync.Mutex
	tasks map[string]*wasmTask
}

// NewService returns the task service of a shim daemon; ctx carries the
// shim's containerd namespace and address is containerd's gRPC socket. The
// publisher is closed when the shim shuts down (otherwise containerd 1.6
// waits 5 s for it).
//
// # Errors
// Errors locating the runner binary (see RunnerPath); a bad
// $FAASWASM_CACHE_LIMIT (see CacheLimit), $FAASWASM_IDLE_RELEASE (see
// IdleRelease) or trusted build keys (see TrustedBuildKeys); a ctx without
// namespace.
func NewService(ctx context.Context, address string, publisher shimlib.Publisher, sd shutdown.Service) (*Service, error) {
	runnerPath, err := RunnerPath()
	if err != nil {
		return nil, err
	}
	limit, err := CacheLimit()
	if err != nil {
		return nil, fmt.Errorf("task service: %w", err)
	}
	idle, err := IdleRelease()
	if err != nil {
		return nil, fmt.Errorf("task service: %w", err)
	}
	keys, err := TrustedBuildKeys()
	if err != nil {
		return nil, fmt.Errorf("task service: %w", err)
	}
	ns, err := namespaces.NamespaceRequired(ctx)
	if err != nil {
		return nil, fmt.Errorf("task service: %w", err)
	}
	s := &Service{ctx: ctx, publisher: publisher, sd: sd, runnerPath: runnerPath, cacheDir: CacheDir(), cacheLimit: limit, idleRelease: idle,
		trustedKeys: keys, address: address, namespace: ns, tasks: map[string]*wasmTask{}}
	if w, err := newOOMWatcher(publisher); err == nil {
		s.oom = w
		go w.Run(ctx)
	} else {
		log.G(ctx).WithError(err).Warn("faaswasm: no OOM watcher")
	}
	sd.RegisterCallback(func(context.Context) error { return publisher.Close() })
	return s, nil
}

// RegisterTTRPC registers the task API on server.
func (s *Service) RegisterTTRPC(server *ttrpc.Server) error {
	taskAPI.RegisterTaskService(server, s)
	return nil
}

func (s *Service) get(id string) (*wasmTask, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tasks[id]
	if !ok || t == nil {
		return nil, fmt.Errorf("task %s: %w", id, errdefs.ErrNotFound)
	}
	return t, nil
}

func (s *Service) publish(ctx context.Context, topic string, event interface{}) {
	if err := s.publisher.Publish(ctx, topic, event); err != nil {
		log.G(ctx).WithError(err).WithField("topic", topic).Warn("faaswasm: publish event")
	}
}

func (s *Service) publishExit(id string, pid int, status uint32, at time.Time) {
	s.publish(s.ctx, runtime.TaskExitEventTopic, &eventstypes.TaskExit{
		ContainerID: id, ID: id, Pid: uint32(pid), ExitStatus: status, ExitedAt: protobuf.ToTimestamp(at),
	})
}

func notImplemented(what string) error {
	return errdefs.ToGRPCf(errdefs.ErrNotImplemented, "faaswasm: %s is not supported for Wasm containers", what)
}

// Create mounts the rootfs, finds the module and starts the runner held at
// its gate inside the container's namespaces and cgroup.
func (s *Service) Create(ctx context.Context, r *taskAPI.CreateTaskRequest) (*taskAPI.CreateTaskResponse, error) {
	switch {
	case r.Terminal:
		return nil, errdefs.ToGRPCf(errdefs.ErrNotImplemented, "faaswasm: terminals are not supported")
	case r.Checkpoint != "":
		return nil, notImplemented("restoring a checkpoint")
	}
	s.mu.Lock()
	if _, ok := s.tasks[r.ID]; ok {
		s.mu.Unlock()
		return nil, errdefs.ToGRPCf(errdefs.ErrAlreadyExists, "faaswasm: task %s exists", r.ID)
	}
	s.tasks[r.ID] = nil // reserved while it is created
	s.mu.Unlock()
	t, err := s.createTask(ctx, r.ID, r.Bundle, r.Rootfs, r.Stdin, r.Stdout, r.Stderr)
	s.mu.Lock()
	if err != nil {
		delete(s.tasks, r.ID)
	} else {
		s.tasks[r.ID] = t
	}
	s.mu.Unlock()
	if err != nil {
		return nil, errdefs.ToGRPC(fmt.Errorf("create %s: %w", r.ID, err))
	}
	s.publish(ctx, runtime.TaskCreateEventTopic, &eventstypes.TaskCreate{
		ContainerID: r.ID, Bundle: r.Bundle, Rootfs: r.Rootfs, Pid: uint32(t.pid),
		IO: &eventstypes.TaskIO{Stdin: r.Stdin, Stdout: r.Stdout, Stderr: r.Stderr},
	})
	return &taskAPI.CreateTaskResponse{Pid: uint32(t.pid)}, nil
}

// Start lets the runner load the module and serve.
func (s *Service) Start(ctx context.Context, r *taskAPI.StartRequest) (*taskAPI.StartResponse, error) {
	if r.ExecID != "" {
		return nil, notImplemented("exec")
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	if err := t.start(); err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	s.publish(ctx, runtime.TaskStartEventTopic, &eventstypes.TaskStart{ContainerID: r.ID, Pid: uint32(t.pid)})
	return &taskAPI.StartResponse{Pid: uint32(t.pid)}, nil
}

// Delete removes a task whose runner has exited (a created, never started
// runner is killed first) and releases its cgroup and rootfs mount.
func (s *Service) Delete(ctx context.Context, r *taskAPI.DeleteRequest) (*taskAPI.DeleteResponse, error) {
	if r.ExecID != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "faaswasm: no exec process %s", r.ExecID)
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	if state, _, _ := t.snapshot(); state == stateRunning {
		return nil, errdefs.ToGRPCf(errdefs.ErrFailedPrecondition, "faaswasm: task %s is running", r.ID)
	}
	t.release(ctx)
	_, status, at := t.snapshot()
	s.mu.Lock()
	delete(s.tasks, r.ID)
	s.mu.Unlock()
	s.publish(ctx, runtime.TaskDeleteEventTopic, &eventstypes.TaskDelete{
		ContainerID: r.ID, ID: r.ID, Pid: uint32(t.pid), ExitStatus: status, ExitedAt: protobuf.ToTimestamp(at),
	})
	return &taskAPI.DeleteResponse{Pid: uint32(t.pid), ExitStatus: status, ExitedAt: protobuf.ToTimestamp(at)}, nil
}

// State reports the task's status, pid, stdio and exit.
func (s *Service) State(ctx context.Context, r *taskAPI.StateRequest) (*taskAPI.StateResponse, error) {
	if r.ExecID != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "faaswasm: no exec process %s", r.ExecID)
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	state, status, at := t.snapshot()
	resp := &taskAPI.StateResponse{
		ID: t.id, Bundle: t.bundle, Pid: uint32(t.pid),
		Stdin: t.stdin, Stdout: t.stdout, Stderr: t.stderr, ExitStatus: status,
	}
	switch state {
	case stateCreated:
		resp.Status = tasktypes.Status_CREATED
	case stateRunning:
		resp.Status = tasktypes.Status_RUNNING
	default:
		resp.Status = tasktypes.Status_STOPPED
		resp.ExitedAt = protobuf.ToTimestamp(at)
	}
	return resp, nil
}

// Pids lists the runner's pid while it lives.
func (s *Service) Pids(ctx context.Context, r *taskAPI.PidsRequest) (*taskAPI.PidsResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	if state, _, _ := t.snapshot(); state == stateStopped {
		return &taskAPI.PidsResponse{}, nil
	}
	return &taskAPI.PidsResponse{Processes: []*tasktypes.ProcessInfo{{Pid: uint32(t.pid)}}}, nil
}

// Kill sends a signal to the runner. The runner is the container's only
// process, so r.All changes nothing.
func (s *Service) Kill(ctx context.Context, r *taskAPI.KillRequest) (*ptypes.Empty, error) {
	if r.ExecID != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "faaswasm: no exec process %s", r.ExecID)
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	if err := t.kill(r.Signal); err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	return empty, nil
}

// Wait blocks until the runner exits, then reports its exit status.
func (s *Service) Wait(ctx context.Context, r *taskAPI.WaitRequest) (*taskAPI.WaitResponse, error) {
	if r.ExecID != "" {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "faaswasm: no exec process %s", r.ExecID)
	}
	t, err := s.get(r.ID)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	select {
	case <-t.exited:
	case <-ctx.Done():
		return nil, errdefs.ToGRPC(ctx.Err())
	}
	_, status, at := t.snapshot()
	return &taskAPI.WaitResponse{ExitStatus: status, ExitedAt: protobuf.ToTimestamp(at)}, nil
}

// Stats reports the container's cgroup metrics
// (io.containerd.cgroups.v1.Metrics or, on cgroup v2, v2.Metrics), as runc's
// shim does.
func (s *Service) Stats(ctx context.Context, r *taskAPI.StatsRequest) (*taskAPI.StatsResponse, error) {
	t, err := s.get(r.ID)
	if err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	if t.cg == nil {
		return nil, errdefs.ToGRPCf(errdefs.ErrNotFound, "faaswasm: task %s has no cgroup", r.ID)
	}
	m, err := t.cg.stats()
	if err != nil {
		return nil, errdefs.ToGRPC(fmt.Errorf("stats %s: %w", r.ID, err))
	}
	data, err := typeurl.MarshalAny(m)
	if err != nil {
		return nil, errdefs.ToGRPC(fmt.Errorf("stats %s: %w", r.ID, err))
	}
	return &taskAPI.StatsResponse{Stats: protobuf.FromAny(data)}, nil
}

// Connect returns the shim's and the runner's pids.
func (s *Service) Connect(ctx context.Context, r *taskAPI.ConnectRequest) (*taskAPI.ConnectResponse, error) {
	resp := &taskAPI.ConnectResponse{ShimPid: uint32(os.Getpid())}
	if t, err := s.get(r.ID); err == nil {
		resp.TaskPid = uint32(t.pid)
	}
	return resp, nil
}

// Shutdown stops the shim daemon once all its tasks have been deleted.
func (s *Service) Shutdown(ctx context.Context, r *taskAPI.ShutdownRequest) (*ptypes.Empty, error) {
	s.mu.Lock()
	busy := len(s.tasks) > 0
	s.mu.Unlock()
	if !busy {
		s.sd.Shutdown()
	}
	return empty, nil
}

// CloseIO has nothing to do: the runner does not read stdin.
func (s *Service) CloseIO(ctx context.Context, r *taskAPI.CloseIORequest) (*ptypes.Empty, error) {
	if _, err := s.get(r.ID); err != nil {
		return nil, errdefs.ToGRPC(err)
	}
	return empty, nil
}

// Pause answers errdefs.ErrNotImplemented.
func (s *Service) Pause(context.Context, *taskAPI.PauseRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("pause")
}

// Resume answers errdefs.ErrNotImplemented.
func (s *Service) Resume(context.Context, *taskAPI.ResumeRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("resume")
}

// Checkpoint answers errdefs.ErrNotImplemented.
func (s *Service) Checkpoint(context.Context, *taskAPI.CheckpointTaskRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("checkpoint")
}

// Exec answers errdefs.ErrNotImplemented: a Wasm container has no shell.
func (s *Service) Exec(context.Context, *taskAPI.ExecProcessRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("exec")
}

// ResizePty answers errdefs.ErrNotImplemented.
func (s *Service) ResizePty(context.Context, *taskAPI.ResizePtyRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("a terminal")
}

// Update answers errdefs.ErrNotImplemented.
func (s *Service) Update(context.Context, *taskAPI.UpdateTaskRequest) (*ptypes.Empty, error) {
	return nil, notImplemented("updating resources")
}

// newOOMWatcher returns containerd's OOM watcher for the node's cgroup
// version.
func newOOMWatcher(publisher shimlib.Publisher) (oom.Watcher, error) {
	h, err := detectCgroups()
	if err != nil {
		return nil, err
	}
	if h.unified {
		return oomv2.New(publisher)
	}
	return oomv1.New(publisher)
}
