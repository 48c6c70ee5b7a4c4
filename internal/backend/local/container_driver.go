package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/backend/local/containers"
	"github.com/faas-wasm/faas-wasm/provider"
)

// ConnectContainers creates the container manager; New calls it once with
// the sink that routes replicas' output lines to the functions' logs.
type ConnectContainers func(ctx context.Context, sink containers.LogSink) (*containers.Manager, error)

// WithContainers enables container functions run by the manager connect
// returns (usually containers.New with containers.WithLogSink(sink)). New
// adopts the containers of a previous run (Manager.Recover). When connect
// fails, for example because containerd is not running, New still succeeds:
// Wasm functions work and container deploys fail with
// provider.ErrNotImplemented carrying connect's error.
func WithContainers(connect ConnectContainers) Option {
	return func(o *options) { o.connect = connect }
}

// connectContainers runs the WithContainers hook, if any, before state is
// restored; a failure is kept to explain later container deploys.
func connectContainers(ctx context.Context, o *options) {
	if o.connect == nil || o.containers != nil {
		return
	}
	r := &containerDriver{logs: map[string]func(instance, text string){}, adopted: map[string]bool{}, timeout: o.timeout}
	m, err := o.connect(ctx, r.sink)
	if err != nil {
		o.log.Warn("container functions disabled", "err", err)
		o.containersErr = err
		return
	}
	r.m = m
	specs, err := m.Recover(ctx)
	if err != nil {
		o.log.Error("adopting the containers of the previous run", "err", err)
	}
	for _, s := range specs {
		r.adopted[s.Namespace+"/"+s.Name] = true
	}
	o.containers = r
}

// removeOrphans removes the adopted containers of functions the state
// directory does not know (the state is the source of truth); call it after
// every stored function was restored.
func (r *containerDriver) removeOrphans(ctx context.Context, log *slog.Logger) {
	r.mu.Lock()
	orphans := make([]string, 0, len(r.adopted))
	for key := range r.adopted {
		orphans = append(orphans, key)
	}
	clear(r.adopted)
	r.mu.Unlock()
	for _, key := range orphans {
		ns, name, _ := strings.Cut(key, "/")
		log.Warn("removing containers of a function that is not deployed", "function", name, "namespace", ns)
		if err := r.m.Remove(ctx, name, ns); err != nil && !errors.Is(err, provider.ErrNotFound) {
			log.Error("removing orphan containers", "function", name, "namespace", ns, "err", err)
		}
	}
}

// containerDriver adapts a containers.Manager to Driver.
type containerDriver struct {
	m       *containers.Manager
	timeout time.Duration // of one call, as for Wasm functions

	mu      sync.RWMutex
	logs    map[string]func(instance, text string) // "ns/name" → Deployment.Log
	adopted map[string]bool                        // running containers found at start-up
}

var _ Driver = (*containerDriver)(nil)

// sink hands a replica's output line to its function's log.
func (r *containerDriver) sink(function, namespace, instance, line string) {
	r.mu.RLock()
	log := r.logs[namespace+"/"+function]
	r.mu.RUnlock()
	if log != nil {
		log(instance, line)
	}
}

// Deploy applies the spec; on restore, containers adopted from the previous
// run are kept and only scaled, so nothing is redeployed.
func (r *containerDriver) Deploy(ctx context.Context, d Deployment) error {
	key := d.Spec.Namespace + "/" + d.Spec.Service
	r.mu.Lock()
	r.logs[key] = d.Log
	adopted := r.adopted[key]
	delete(r.adopted, key)
	r.mu.Unlock()
	if d.Restore && adopted {
		return r.m.Scale(ctx, d.Spec.Service, d.Spec.Namespace, int(d.Replicas))
	}
	spec, err := containerSpec(d)
	if err != nil {
		return err
	}
	return r.m.Apply(ctx, spec, int(d.Replicas))
}

// containerSpec converts a deployment into the manager's spec.
func containerSpec(d Deployment) (containers.Spec, error) {
	s := d.Spec
	spec := containers.Spec{
		Name: s.Service, Namespace: s.Namespace, Image: s.Image, EnvProcess: s.EnvProcess,
		Env: s.EnvVars, Labels: s.Labels, Annotations: s.Annotations, SecretsDir: d.secretsMount(),
		ReadOnlyRootFS: s.ReadOnlyRootFilesystem,
	}
	if s.Limits != nil {
		var err error
		if spec.MemoryLimit, err = provider.ParseMemory(s.Limits.Memory); err != nil {
			return spec, err
		}
		if spec.CPUMillis, err = provider.ParseCPU(s.Limits.CPU); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

func (r *containerDriver) Scale(ctx context.Context, name, ns string, replicas uint64) error {
	return r.m.Scale(ctx, name, ns, int(replicas))
}

func (r *containerDriver) Remove(ctx context.Context, name, ns string) error {
	r.mu.Lock()
	delete(r.logs, ns+"/"+name)
	delete(r.adopted, ns+"/"+name)
	r.mu.Unlock()
	if err := r.m.Remove(ctx, name, ns); err != nil && !errors.Is(err, provider.ErrNotFound) {
		return err
	}
	return nil
}

func (r *containerDriver) Handler(name, ns string) (http.Handler, error) {
	if _, ready := r.Replicas(name, ns); ready == 0 {
		return nil, fmt.Errorf("container function %q has no ready replica: %w", name, provider.ErrUnavailable)
	}
	return callTimeout(r.timeout, r.m.Handler(name, ns)), nil
}

// callTimeout bounds a call by d: past it the call's context ends and the
// proxy gives up on the replica (504). d <= 0 leaves h unbounded.
func callTimeout(d time.Duration, h http.Handler) http.Handler {
	if d <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (r *containerDriver) Replicas(name, ns string) (uint64, uint64) {
	reps := r.m.Replicas(name, ns)
	var ready uint64
	for _, rep := range reps {
		if rep.Ready {
			ready++
		}
	}
	return uint64(len(reps)), ready
}

// Close disconnects from containerd; the containers keep running and are
// adopted by the next New.
func (r *containerDriver) Close(context.Context) error { return r.m.Close() }
