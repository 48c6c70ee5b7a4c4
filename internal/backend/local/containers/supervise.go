package containers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/errdefs"
)

// startProbeInterval is the health-check period of a replica that has not
// answered yet since its task started.
const startProbeInterval = 10 * time.Millisecond

// watch starts the replica's watchers: exit/restart supervision, health
// checks and the output tailer. A nil exitCh asks for an immediate restart.
func (m *Manager) watch(r *replica, exitCh <-chan containerd.ExitStatus) {
	r.wg.Go(func() { m.supervise(r, exitCh) })
	r.wg.Go(func() { m.healthLoop(r) })
	r.wg.Go(func() { m.tailLoop(r) })
}

// supervise waits for the task to exit and restarts it with exponential
// backoff. A run shorter than the longest backoff keeps doubling the delay,
// and from the second such exit on the replica is reported crash-looping.
func (m *Manager) supervise(r *replica, exitCh <-chan containerd.ExitStatus) {
	delay := time.Duration(0)
	quickExits := 0
	for {
		if exitCh != nil {
			var st containerd.ExitStatus
			select {
			case <-r.ctx.Done():
				return
			case st = <-exitCh:
			}
			if r.ctx.Err() != nil {
				return
			}
			code, _, werr := st.Result()
			if werr != nil {
				// The wait broke without an exit (containerd restarting?):
				// follow the task again if it still runs.
				if ch, ok := m.rewait(r); ok {
					m.log.Info("replica watched again after losing containerd", "function", r.name, "namespace", r.namespace, "replica", r.id, "err", werr)
					exitCh = ch
					continue
				}
			}
			r.tail.poll()
			ran := r.markExited()
			m.transport.CloseIdleConnections() // none may point at the dead task's address later
			if ran >= m.opts.backoffMax {
				delay, quickExits = 0, 0
			}
			delay = nextDelay(delay, m.opts.backoffMin, m.opts.backoffMax)
			quickExits++
			msg := exitMessage(code, werr, ran, quickExits, r.restartCount(), delay, r.tail.lastLine())
			r.setErr(msg)
			if quickExits >= 2 {
				m.log.Error("replica crash-looping", "function", r.name, "namespace", r.namespace, "replica", r.id, "detail", msg)
			} else {
				m.log.Warn("replica exited", "function", r.name, "namespace", r.namespace, "replica", r.id, "detail", msg)
			}
		} else {
			delay = nextDelay(delay, m.opts.backoffMin, m.opts.backoffMax)
		}
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(delay):
		}
		ch, err := m.restartTask(r)
		if err != nil {
			if r.ctx.Err() != nil {
				return
			}
			r.setErr(fmt.Sprintf("restart failed: %v", err))
			m.log.Error("replica restart failed", "function", r.name, "namespace", r.namespace, "replica", r.id, "err", err)
			exitCh = nil
			continue
		}
		exitCh = ch
	}
}

// rewait waits on the replica's task again when it still runs, retrying
// for up to 30 s while containerd does not answer.
func (m *Manager) rewait(r *replica) (<-chan containerd.ExitStatus, bool) {
	for range 30 {
		ctx, cancel := context.WithTimeout(r.ctx, 2*time.Second)
		task, err := r.container.Task(ctx, nil)
		if err == nil {
			var st containerd.Status
			if st, err = task.Status(ctx); err == nil {
				cancel()
				if st.Status != containerd.Running && st.Status != containerd.Paused {
					return nil, false
				}
				ch, werr := task.Wait(r.ctx)
				return ch, werr == nil
			}
		}
		cancel()
		if errdefs.IsNotFound(err) {
			return nil, false
		}
		select {
		case <-r.ctx.Done():
			return nil, false
		case <-time.After(time.Second):
		}
	}
	return nil, false
}

// restartTask replaces the replica's dead task with a new one, first
// creating its container again when that vanished.
func (m *Manager) restartTask(r *replica) (<-chan containerd.ExitStatus, error) {
	ctx, cancel := context.WithTimeout(r.ctx, 60*time.Second)
	defer cancel()
	if _, err := r.container.Info(ctx); errdefs.IsNotFound(err) {
		if err := m.recreateContainer(ctx, r); err != nil {
			return nil, err
		}
	}
	if err := m.deleteTask(ctx, r); err != nil {
		return nil, err
	}
	ch, err := m.startTask(ctx, r)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.restarts++
	r.mu.Unlock()
	return ch, nil
}

// recreateContainer creates a replica's container again, under the same id
// (so r.container names it again) and from the spec it ran, after it
// vanished behind the manager's back: removed with ctr, or containerd's
// state lost. A snapshot left behind is replaced.
func (m *Manager) recreateContainer(ctx context.Context, r *replica) error {
	ref, err := normalizeRef(r.spec.Image)
	if err != nil {
		return fmt.Errorf("recreate container %s: %w", r.id, err)
	}
	img, err := m.image(ctx, ref)
	if err != nil {
		return fmt.Errorf("recreate container %s: %w", r.id, err)
	}
	if err := m.client.SnapshotService(m.opts.snapshotter).Remove(ctx, r.id); err != nil && !errdefs.IsNotFound(err) {
		return fmt.Errorf("recreate container %s: remove its old snapshot: %w", r.id, err)
	}
	if _, err := m.createContainer(ctx, r.id, r.spec, img.Target().Digest.String(), img); err != nil {
		return fmt.Errorf("recreate: %w", err)
	}
	m.log.Warn("replica's container vanished: created again from its spec", "function", r.name, "namespace", r.namespace, "replica", r.id)
	return nil
}

// nextDelay doubles d within [lo, hi].
func nextDelay(d, lo, hi time.Duration) time.Duration {
	if d <= 0 {
		return lo
	}
	return min(2*d, hi)
}

// exitMessage explains a task exit for Replica.Err and the log.
func exitMessage(code uint32, werr error, ran time.Duration, quickExits, restarts int, next time.Duration, last string) string {
	var b strings.Builder
	if quickExits >= 2 {
		b.WriteString("crash-looping: ")
	}
	if werr != nil {
		fmt.Fprintf(&b, "lost track of task: %v", werr)
	} else {
		fmt.Fprintf(&b, "exited with status %d after %s", code, ran.Round(time.Millisecond))
		if code == 128+9 {
			b.WriteString(" (SIGKILL: out of memory, or killed)")
		} else if code > 128 && code < 128+65 {
			fmt.Fprintf(&b, " (signal %d)", code-128)
		}
	}
	fmt.Fprintf(&b, " (%d restarts so far, next restart in %s)", restarts, next)
	if last != "" {
		fmt.Fprintf(&b, "; last output: %q", last)
	}
	return b.String()
}

// markExited records a task exit and returns how long the task ran.
func (r *replica) markExited() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.running, r.ready, r.pid = false, false, 0
	if r.runCancel != nil {
		r.runCancel() // abandon a health check in flight to the dead task
	}
	return time.Since(r.started)
}

func (r *replica) restartCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.restarts
}

func (r *replica) setErr(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = msg
}

// healthLoop probes GET /_/health on the replica's port: quickly until the
// first answer (or until the start timeout), then every health interval.
func (m *Manager) healthLoop(r *replica) {
	for {
		r.mu.Lock()
		running, ip, fast, runCtx := r.running, r.ip, !r.readyOnce && !r.noPort, r.runCtx
		r.mu.Unlock()
		interval := m.opts.healthInterval
		if fast {
			interval = startProbeInterval
		}
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(interval):
		}
		if !running || ip == "" {
			continue
		}
		m.recordProbe(r, ip, m.checkHealth(runCtx, ip))
	}
}

// checkHealth performs one health check.
func (m *Manager) checkHealth(ctx context.Context, ip string) error {
	url := "http://" + net.JoinHostPort(ip, strconv.Itoa(m.opts.port)) + "/_/health"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := m.probe.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &healthStatusError{status: resp.Status}
	}
	return nil
}

// healthStatusError: the port is open but /_/health does not answer 200.
type healthStatusError struct{ status string }

func (e *healthStatusError) Error() string { return "GET /_/health answered " + e.status }

// recordProbe updates readiness after a health check of the task at ip.
// A ready replica turns unready after 3 consecutive failures.
func (m *Manager) recordProbe(r *replica, ip string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.running || r.ip != ip || r.ctx.Err() != nil {
		return
	}
	if err == nil {
		if !r.ready {
			m.log.Info("replica ready", "function", r.name, "namespace", r.namespace, "replica", r.id,
				"after", time.Since(r.started).Round(time.Millisecond))
		}
		r.ready, r.readyOnce, r.failures, r.err = true, true, 0, ""
		return
	}
	r.failures++
	if r.ready && r.failures >= 3 {
		r.ready = false
		r.err = fmt.Sprintf("health check failing %d times: %v", r.failures, err)
		m.log.Warn("replica unhealthy", "function", r.name, "namespace", r.namespace, "replica", r.id, "err", err)
	}
	if !r.readyOnce && !r.noPort && time.Since(r.started) > m.opts.startTimeout {
		r.noPort = true
		var status *healthStatusError
		if errors.As(err, &status) {
			r.err = fmt.Sprintf("health check never passed within %s: %v", m.opts.startTimeout, err)
		} else {
			r.err = fmt.Sprintf("port %d never opened within %s: %v", m.opts.port, m.opts.startTimeout, err)
		}
		m.log.Error("replica never became healthy", "function", r.name, "namespace", r.namespace, "replica", r.id, "err", err)
	}
}

// tailLoop delivers the replica's output lines to the log sink.
func (m *Manager) tailLoop(r *replica) {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			r.tail.poll()
			return
		case <-t.C:
			r.tail.poll()
		}
	}
}
