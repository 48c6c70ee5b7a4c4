package containers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"
	gocni "github.com/containerd/go-cni"

	"github.com/faas-wasm/faas-wasm/internal/proxy"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Manager runs container functions through one containerd daemon. It is
// safe for concurrent use; operations on one function are serialized.
type Manager struct {
	client    *containerd.Client
	cni       gocni.CNI
	cniMu     sync.Mutex // one CNI operation at a time (go-cni's race-build mutex reports concurrent readers as recursion)
	opts      options
	owner     string // labelOwner of this manager's containers
	log       *slog.Logger
	transport *http.Transport
	probe     *http.Client

	mu     sync.RWMutex // guards fns and each function's spec/replicas
	fns    map[string]*function
	closed bool
	bg     sync.WaitGroup // retire goroutines
}

// function is one deployed container function.
type function struct {
	op       sync.Mutex // serializes Apply, Scale and Remove of this function
	spec     Spec
	hash     string
	digest   string
	replicas []*replica // replaced, never mutated in place
	retiring []*replica // replaced by an update, serving until a new one is ready
	deployed bool
	proxy    *proxy.Proxy // its calls' proxy, kept so round robin and warning limits last across calls
}

// New connects to the containerd socket and prepares the CNI network. It
// starts nothing: call Recover to adopt the functions of a previous run.
//
// # Errors
// An error wrapping ErrNoContainerd and provider.ErrNotImplemented when the
// socket does not answer within a few seconds; an error wrapping
// provider.ErrNotImplemented when the CNI plugins are missing or the
// network is misconfigured; other errors when the state directory cannot be
// created.
func New(ctx context.Context, socket string, opts ...Option) (*Manager, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	o.withDefaults()
	if socket == "" {
		socket = DefaultSocket
	}
	unavailable := func(err error) error {
		return fmt.Errorf("containerd at %s: %v (start containerd, e.g. hack/containerd/start.sh, or pass another socket): %w",
			socket, err, errors.Join(ErrNoContainerd, provider.ErrNotImplemented))
	}
	if _, err := os.Stat(socket); err != nil {
		return nil, unavailable(err)
	}
	client, err := containerd.New(socket, containerd.WithDefaultNamespace(o.namespace), containerd.WithTimeout(5*time.Second))
	if err != nil {
		return nil, unavailable(err)
	}
	vctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := client.Version(vctx); err != nil {
		client.Close()
		return nil, unavailable(err)
	}
	if err := os.MkdirAll(o.stateDir, 0o700); err != nil {
		client.Close()
		return nil, fmt.Errorf("containers state dir: %w", err)
	}
	owner, err := loadOwner(o.stateDir)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("containers state dir: %w", err)
	}
	cni, err := newCNI(o.network)
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("container network: %v: %w", err, provider.ErrNotImplemented)
	}
	m := &Manager{
		client: client,
		cni:    cni,
		opts:   o,
		owner:  owner,
		log:    o.logger.With("component", "containers"),
		transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        512,
			MaxIdleConnsPerHost: 64,
			IdleConnTimeout:     90 * time.Second,
		},
		probe: &http.Client{
			Timeout:   2 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 1, IdleConnTimeout: 30 * time.Second},
		},
		fns: make(map[string]*function),
	}
	return m, nil
}

// ctx gives ctx the manager's containerd namespace.
func (m *Manager) ctx(ctx context.Context) context.Context {
	return namespaces.WithNamespace(ctx, m.opts.namespace)
}

// Apply deploys or updates a function and sets its replica count. It pulls
// the image (so an updated tag is picked up); replicas are replaced when the
// spec or the image digest changed, otherwise only scaled — so Apply with
// the spec Recover returned adopts without redeploying, and keeps the
// current image if the registry is unreachable. It returns once the
// replicas' tasks run; readiness is reported by Replicas. Old replicas of
// an update keep serving until a new one is ready.
//
// # Errors
// provider.ErrInvalid for an unusable spec or a negative count;
// provider.ErrImage (with ErrImageNotFound, ErrPlatform or ErrRegistry) when
// the image cannot be used. A failed Apply leaves the previous replicas.
func (m *Manager) Apply(ctx context.Context, s Spec, replicas int) error {
	if err := s.validate(); err != nil {
		return err
	}
	if replicas < 0 {
		return fmt.Errorf("apply %s: negative replicas %d: %w", s.Name, replicas, provider.ErrInvalid)
	}
	ref, err := normalizeRef(s.Image)
	if err != nil {
		return fmt.Errorf("apply %s: %w", s.Name, err)
	}
	ctx = m.ctx(ctx)
	fn, err := m.lockFunction(s.Name, s.Namespace, true)
	if err != nil {
		return err
	}
	defer fn.op.Unlock()
	m.mu.RLock()
	sameSpec, curDigest := fn.deployed && fn.hash == s.hash(), fn.digest
	m.mu.RUnlock()
	img, err := m.pull(ctx, ref)
	if err != nil && sameSpec && errors.Is(err, ErrRegistry) {
		// Unchanged spec, registry away (e.g. right after a host restart):
		// keep the image in use rather than failing.
		m.log.Warn("registry unreachable, keeping the current image", "function", s.Name, "namespace", s.Namespace, "err", err)
		return m.scale(ctx, fn, replicas)
	}
	if err != nil {
		m.forgetIfEmpty(s.Name, s.Namespace, fn)
		return fmt.Errorf("apply %s: %w", s.Name, err)
	}
	digest := img.Target().Digest.String()
	if sameSpec && digest == curDigest {
		return m.scale(ctx, fn, replicas)
	}

	created, err := m.startReplicas(ctx, s, digest, img, replicas)
	if err != nil {
		m.forgetIfEmpty(s.Name, s.Namespace, fn)
		return fmt.Errorf("apply %s: %w", s.Name, err)
	}
	m.mu.Lock()
	old := fn.replicas
	fn.spec, fn.hash, fn.digest, fn.replicas, fn.deployed = s, s.hash(), digest, created, true
	fn.retiring = append(append([]*replica(nil), fn.retiring...), old...)
	m.mu.Unlock()
	m.log.Info("container function applied", "function", s.Name, "namespace", s.Namespace,
		"image", ref, "digest", digest, "replicas", replicas, "replaced", len(old))
	m.retire(fn, old, created)
	return nil
}

// Scale sets the replica count of a deployed function without contacting
// the registry when the image is still in containerd's store (scale from
// zero stays local).
//
// # Errors
// provider.ErrNotFound if the function is not deployed; provider.ErrInvalid
// for a negative count; errors of replica creation.
func (m *Manager) Scale(ctx context.Context, name, namespace string, replicas int) error {
	if replicas < 0 {
		return fmt.Errorf("scale %s: negative replicas %d: %w", name, replicas, provider.ErrInvalid)
	}
	fn, err := m.lockFunction(name, namespace, false)
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	defer fn.op.Unlock()
	if !fn.deployed {
		return fmt.Errorf("scale %s: %w", name, provider.ErrNotFound)
	}
	return m.scale(m.ctx(ctx), fn, replicas)
}

// scale adds or removes replicas of an applied function; fn.op is held.
// Removal prefers replicas that are not ready, then the newest.
func (m *Manager) scale(ctx context.Context, fn *function, replicas int) error {
	m.mu.RLock()
	cur, s, digest := fn.replicas, fn.spec, fn.digest
	m.mu.RUnlock()
	switch {
	case replicas > len(cur):
		ref, err := normalizeRef(s.Image)
		if err != nil {
			return err
		}
		img, err := m.image(ctx, ref)
		if err != nil {
			return fmt.Errorf("scale %s: %w", s.Name, err)
		}
		added, err := m.startReplicas(ctx, s, digest, img, replicas-len(cur))
		if err != nil {
			return fmt.Errorf("scale %s: %w", s.Name, err)
		}
		m.mu.Lock()
		fn.replicas = append(append([]*replica(nil), fn.replicas...), added...)
		m.mu.Unlock()
	case replicas < len(cur):
		keep, drop := chooseVictims(cur, len(cur)-replicas)
		m.mu.Lock()
		fn.replicas = keep
		m.mu.Unlock()
		if err := m.stopReplicas(ctx, drop); err != nil {
			return fmt.Errorf("scale %s: %w", s.Name, err)
		}
	}
	return nil
}

// chooseVictims splits reps into n replicas to drop (not ready first, then
// newest) and the rest, keeping the order of the rest.
func chooseVictims(reps []*replica, n int) (keep, drop []*replica) {
	dropped := make(map[*replica]bool, n)
	for pass := 0; pass < 2 && len(dropped) < n; pass++ {
		for i := len(reps) - 1; i >= 0 && len(dropped) < n; i-- {
			r := reps[i]
			if dropped[r] {
				continue
			}
			if pass == 1 || !r.snapshot().Ready {
				dropped[r] = true
			}
		}
	}
	for _, r := range reps {
		if dropped[r] {
			drop = append(drop, r)
		} else {
			keep = append(keep, r)
		}
	}
	return keep, drop
}

// Remove deletes every replica of a function — tasks, containers,
// snapshots, network leases and files — including containers of the
// function that this manager has not adopted.
//
// # Errors
// provider.ErrNotFound if no replica or spec of the function exists.
func (m *Manager) Remove(ctx context.Context, name, namespace string) error {
	ctx = m.ctx(ctx)
	fn, _ := m.lockFunction(name, namespace, false)
	var reps []*replica
	deployed := false
	if fn != nil {
		defer fn.op.Unlock()
		m.mu.Lock()
		deployed = fn.deployed
		reps = append(append([]*replica(nil), fn.replicas...), fn.retiring...)
		fn.replicas, fn.retiring, fn.deployed = nil, nil, false
		delete(m.fns, key(name, namespace))
		m.mu.Unlock()
	}
	strays, err := m.strays(ctx, name, namespace, reps)
	if err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	reps = append(reps, strays...)
	if !deployed && len(reps) == 0 {
		return fmt.Errorf("remove %s.%s: %w", name, namespace, provider.ErrNotFound)
	}
	if err := m.stopReplicas(ctx, reps); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	m.log.Info("container function removed", "function", name, "namespace", namespace, "replicas", len(reps))
	return nil
}

// Replicas reports the current replicas of a function, oldest first (none
// for an unknown function). Replicas replaced by an update and still
// draining are not included.
func (m *Manager) Replicas(name, namespace string) []Replica {
	m.mu.RLock()
	fn := m.fns[key(name, namespace)]
	var reps []*replica
	if fn != nil {
		reps = fn.replicas
	}
	m.mu.RUnlock()
	out := make([]Replica, 0, len(reps))
	for _, r := range reps {
		out = append(out, r.snapshot())
	}
	return out
}

// function returns the function entry, creating it when create is set.
func (m *Manager) function(name, namespace string, create bool) (*function, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("container manager is closed: %w", provider.ErrUnavailable)
	}
	fn := m.fns[key(name, namespace)]
	if fn == nil && create {
		fn = &function{proxy: m.newProxy(name, namespace)}
		m.fns[key(name, namespace)] = fn
	}
	if fn == nil {
		return nil, fmt.Errorf("function %s.%s: %w", name, namespace, provider.ErrNotFound)
	}
	return fn, nil
}

// lockFunction returns the function entry with its op lock held, making
// sure the entry is still registered once the lock is taken (a concurrent
// Remove or failed first Apply may have dropped it meanwhile).
func (m *Manager) lockFunction(name, namespace string, create bool) (*function, error) {
	for {
		fn, err := m.function(name, namespace, create)
		if err != nil {
			return nil, err
		}
		fn.op.Lock()
		m.mu.RLock()
		current := m.fns[key(name, namespace)] == fn
		m.mu.RUnlock()
		if current {
			return fn, nil
		}
		fn.op.Unlock()
	}
}

// forgetIfEmpty drops a function entry whose first Apply failed.
func (m *Manager) forgetIfEmpty(name, namespace string, fn *function) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !fn.deployed && m.fns[key(name, namespace)] == fn {
		delete(m.fns, key(name, namespace))
	}
}

// Close stops watching replicas and disconnects. Containers keep running,
// so a new Manager can Recover them.
func (m *Manager) Close() error {
	m.mu.Lock()
	m.closed = true
	var reps []*replica
	for _, fn := range m.fns {
		reps = append(reps, fn.replicas...)
		reps = append(reps, fn.retiring...)
	}
	m.mu.Unlock()
	for _, r := range reps {
		r.detachWatchers()
	}
	m.bg.Wait()
	m.transport.CloseIdleConnections()
	m.probe.CloseIdleConnections()
	if err := m.client.Close(); err != nil {
		return fmt.Errorf("close containerd client: %w", err)
	}
	return nil
}
