package containers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/containers"
	"github.com/containerd/containerd/errdefs"
)

// found is a function container discovered in containerd.
type found struct {
	c    containerd.Container
	info containers.Container
	spec Spec
}

// Recover adopts the function containers left by a previous run of the
// provider (found by their labels in the manager's containerd namespace;
// only those carrying this manager's owner id, see loadOwner):
// running tasks are watched again without being restarted, dead or missing
// tasks are restarted, nothing is redeployed. When a function has
// containers of two specs (a provider stopped mid-update), the most recently
// created spec wins and the others are removed. Functions already known to
// the manager are left alone.
//
// It returns the specs of the adopted functions, sorted by namespace and
// name; Replicas tells how many replicas each has.
//
// # Errors
// An error when containerd cannot list containers. Containers whose stored
// spec cannot be read are reported in the log and skipped.
func (m *Manager) Recover(ctx context.Context) ([]Spec, error) {
	ctx = m.ctx(ctx)
	list, err := m.client.Containers(ctx, fmt.Sprintf("labels.%q==true", labelManaged))
	if err != nil {
		return nil, fmt.Errorf("recover: list containers: %w", err)
	}
	groups := make(map[string][]found)
	others := 0
	for _, c := range list {
		info, err := c.Info(ctx)
		if err != nil {
			m.log.Warn("recover: skipping container", "container", c.ID(), "err", err)
			continue
		}
		if !m.owns(info) {
			others++
			continue
		}
		f, err := m.inspect(c, info)
		if err != nil {
			m.log.Warn("recover: skipping container", "container", c.ID(), "err", err)
			continue
		}
		if _, ok := info.Labels[labelOwner]; !ok {
			if _, err := c.SetLabels(ctx, map[string]string{labelOwner: m.owner}); err != nil {
				m.log.Warn("recover: label container with its owner", "container", c.ID(), "err", err)
			}
		}
		k := key(f.spec.Name, f.spec.Namespace)
		groups[k] = append(groups[k], f)
	}
	if others > 0 {
		m.log.Info("recover: containers of other providers in this namespace are left alone",
			"namespace", m.opts.namespace, "containers", others)
	}
	var specs []Spec
	for k, g := range groups {
		m.mu.RLock()
		_, known := m.fns[k]
		m.mu.RUnlock()
		if known {
			continue
		}
		spec, err := m.adoptFunction(ctx, g)
		if err != nil {
			m.log.Error("recover function", "function", k, "err", err)
			continue
		}
		specs = append(specs, spec)
	}
	slices.SortFunc(specs, func(a, b Spec) int {
		return strings.Compare(key(a.Name, a.Namespace), key(b.Name, b.Namespace))
	})
	return specs, nil
}

// inspect reads a container's stored spec.
func (m *Manager) inspect(c containerd.Container, info containers.Container) (found, error) {
	ext, ok := info.Extensions[specExtension]
	if !ok {
		return found{}, errors.New("no stored spec")
	}
	spec, err := decodeSpec(ext.GetTypeUrl(), ext.GetValue())
	if err != nil {
		return found{}, err
	}
	return found{c: c, info: info, spec: spec}, nil
}

// adoptFunction registers one function from its containers.
func (m *Manager) adoptFunction(ctx context.Context, g []found) (Spec, error) {
	slices.SortFunc(g, func(a, b found) int { return a.info.CreatedAt.Compare(b.info.CreatedAt) })
	newest := g[len(g)-1]
	hash := newest.info.Labels[labelSpecHash]
	digest := newest.info.Labels[labelImageDigest]
	s := newest.spec
	fn, err := m.lockFunction(s.Name, s.Namespace, true)
	if err != nil {
		return Spec{}, err
	}
	defer fn.op.Unlock()
	if fn.deployed {
		return Spec{}, fmt.Errorf("%s.%s is already managed", s.Name, s.Namespace)
	}
	var reps, stale []*replica
	for _, f := range g {
		r := m.newReplica(f.spec, f.info.Labels[labelImageDigest], f.c)
		if f.info.Labels[labelSpecHash] != hash || f.info.Labels[labelImageDigest] != digest {
			stale = append(stale, r)
			continue
		}
		m.adoptReplica(ctx, r, f.info.Labels)
		reps = append(reps, r)
	}
	m.mu.Lock()
	fn.spec, fn.hash, fn.digest, fn.replicas, fn.deployed = s, s.hash(), digest, reps, true
	m.mu.Unlock()
	if err := m.stopReplicas(ctx, stale); err != nil {
		m.log.Warn("recover: removing replicas of an older spec", "function", s.Name, "namespace", s.Namespace, "err", err)
	}
	m.log.Info("container function recovered", "function", s.Name, "namespace", s.Namespace,
		"replicas", len(reps), "removed_stale", len(stale))
	return s, nil
}

// adoptReplica watches a running task again, or restarts a dead one.
func (m *Manager) adoptReplica(ctx context.Context, r *replica, labels map[string]string) {
	task, err := r.container.Task(ctx, nil)
	if err == nil {
		st, serr := task.Status(ctx)
		ip := labels[labelIP]
		if serr == nil && st.Status == containerd.Running && ip != "" {
			exitCh, werr := task.Wait(r.ctx)
			if werr == nil {
				started, perr := time.Parse(time.RFC3339Nano, labels[labelStarted])
				if perr != nil {
					started = time.Now()
				}
				r.setRunning(task.Pid(), ip, started)
				r.tail.skipToEnd()
				m.watch(r, exitCh)
				return
			}
		}
	} else if !errdefs.IsNotFound(err) {
		m.log.Warn("recover: load task", "replica", r.id, "err", err)
	}
	m.log.Info("recover: restarting replica whose task is not running", "function", r.name, "namespace", r.namespace, "replica", r.id)
	r.tail.skipToEnd()
	exitCh, err := m.restartTask(r)
	if err != nil {
		r.setErr(fmt.Sprintf("restart failed: %v", err))
		m.log.Error("recover: restart replica", "replica", r.id, "err", err)
	}
	m.watch(r, exitCh)
}

// strays returns replicas for this manager's containers of a function that
// are not in known, so Remove also deletes what was never adopted.
func (m *Manager) strays(ctx context.Context, name, namespace string, known []*replica) ([]*replica, error) {
	filter := fmt.Sprintf("labels.%q==true,labels.%q==%q,labels.%q==%q",
		labelManaged, labelFunction, name, labelNamespace, namespace)
	list, err := m.client.Containers(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []*replica
	for _, c := range list {
		if slices.ContainsFunc(known, func(r *replica) bool { return r.id == c.ID() }) {
			continue
		}
		info, err := c.Info(ctx)
		if errdefs.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("inspect container %s: %w", c.ID(), err)
		}
		if !m.owns(info) {
			continue
		}
		out = append(out, m.newReplica(Spec{Name: name, Namespace: namespace}, "", c))
	}
	return out, nil
}
