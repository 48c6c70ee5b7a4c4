package k8s

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
	"github.com/faas-wasm/faas-wasm/provider"
)

// ColdRunner runs Wasm functions in the provider's own process (local
// mode's Wasm driver: local.WasmRunner).
type ColdRunner interface {
	// Load pulls and compiles spec's module and loads it with secretsDir
	// preopened read-only when spec names secrets (without, no
	// filesystem), replacing what the function had loaded.
	Load(ctx context.Context, spec provider.FunctionDeployment, secretsDir string, log func(instance, line string)) error
	// Handler serves the calls of a loaded function.
	Handler(name, namespace string) (http.Handler, error)
	// Unload forgets a function.
	Unload(ctx context.Context, name, namespace string) error
}

// ColdObserver counts the calls the provider served itself. Outcome is
// "served" (the function ran in the provider, whatever it answered),
// "refused" (the budget was full: 429) or "load_failed" (the module could
// not be pulled or compiled: the call waited for a pod instead).
type ColdObserver interface {
	ColdCall(name, namespace, outcome string)
}

// ColdServe configures calls served by the provider while a Wasm function
// has no ready pod; see WithColdServe.
type ColdServe struct {
	// Runner runs the functions.
	Runner ColdRunner
	// Concurrency bounds the calls the provider serves at once, over all
	// functions (at least 1).
	Concurrency int
	// Memory bounds the sum of the memory limits of those calls, in bytes
	// (at least DefaultMemory). A function whose limit alone is larger is
	// never served by the provider.
	Memory int64
	// DefaultMemory is what a call of a function without a memory limit
	// counts against Memory: the engine's default linear memory limit.
	DefaultMemory int64
	// Dir holds a copy of each served function's secrets, readable only
	// by the provider (created 0700).
	Dir string
	// Observer counts the calls (nil: not counted).
	Observer ColdObserver
}

// WithColdServe makes Invoker answer a call to a Wasm function that has no
// ready pod — just deployed, or scaled to zero — in the provider itself,
// on c.Runner, within c's budget, while the function's pods start (a
// function at zero replicas is scaled to its minimum, at least 1). Once a
// pod is ready, calls go to the pods again. A function annotated
// com.openfaas.wasm.cold-serve=false always waits for its pods.
func WithColdServe(c ColdServe) Option { return func(o *options) { o.cold = &c } }

// coldRetry is how long a module that failed to load is not tried again
// (its calls wait for pods meanwhile) unless the function changes.
const coldRetry = 30 * time.Second

// coldLoadTimeout bounds one pull and compile, which runs on after the
// call that started it has gone, for the calls that come next.
const coldLoadTimeout = 5 * time.Minute

// coldTombstone is how long a deleted function's UID is remembered, so
// that a call that read its Deployment just before the deletion does not
// load it again (calls look their function up once, at their start).
const coldTombstone = time.Minute

// coldServer is the state of calls served by the provider.
type coldServer struct {
	cfg    ColdServe
	budget coldBudget
	// ctx ends when the backend closes; background (preloads, scale-ups)
	// is waited for by Close.
	ctx        context.Context
	background sync.WaitGroup

	// pods wakes the calls that wait for a function's module when its
	// endpoints or replicas change (informer events).
	pods podSignals

	mu      sync.Mutex
	fns     map[string]*coldFunc    // by "ns/name"
	deleted map[string]coldDeletion // recent deletions, by "ns/name"
	waking  map[string]bool         // scale-ups in flight, by "ns/name"
}

// coldDeletion is a tombstone of a deleted function's Deployment.
type coldDeletion struct {
	uid types.UID
	at  time.Time
}

// coldFunc is what the runner has loaded for one function.
type coldFunc struct {
	plan atomic.Pointer[coldPlan] // decided for the spec last seen

	mu       sync.Mutex
	spec     string // the version (coldKey) loaded ("" = nothing loaded)
	secrets  string // the secrets' versions written to the secrets directory
	failed   string // the version whose load failed
	failedAt time.Time
	err      error
	load     *coldLoad // the last load started, until it ends
	gone     bool      // deleted: no more loads
}

// coldLoad is one load of a function's module and secrets into the runner,
// shared by the calls that need it; loads of one function run one after
// the other.
type coldLoad struct {
	spec, secrets string
	done          chan struct{} // closed when the load ended; err is set
	err           error
}

// errColdGone is the error of a load of a function deleted meanwhile.
var errColdGone = errors.New("function deleted")

func newColdServer(c ColdServe) *coldServer {
	return &coldServer{cfg: c, budget: coldBudget{calls: c.Concurrency, memory: c.Memory},
		fns: map[string]*coldFunc{}, deleted: map[string]coldDeletion{}, waking: map[string]bool{}}
}

// fn returns the state of d's function, made on first use — unless d is a
// Deployment deleted meanwhile (its tombstone): then a state that is gone
// already and is not kept, so nothing is loaded for it.
func (c *coldServer) fn(d *appsv1.Deployment) *coldFunc {
	key := d.Namespace + "/" + d.Name
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.fns[key]; ok {
		return f
	}
	if t, ok := c.deleted[key]; ok && t.uid == d.UID {
		return &coldFunc{gone: true}
	}
	delete(c.deleted, key)
	f := &coldFunc{}
	c.fns[key] = f
	return f
}

func (c *coldServer) observe(name, ns, outcome string) {
	if c.cfg.Observer != nil {
		c.cfg.Observer.ColdCall(name, ns, outcome)
	}
}

// coldHandler returns the handler serving a call to d in the provider, or
// nil when the call must wait for a pod: the backend serves no calls
// itself, d is not a Wasm function or opted out, its memory limit does not
// fit the budget, the budget is full right now (the caller waits for pods,
// and is served here if the budget frees up first), its module cannot be
// loaded, or ctx ends while it loads. The call takes its place in the
// budget here, also while it waits for the module, and keeps it until the
// handler serves it or ctx ends (coldSeat). While the module loads (a pull
// and a compile can take seconds) the call also watches for a ready pod
// (woken by the informer's EndpointSlice and Deployment events), and when
// one is ready first coldHandler returns nil with podReady set: the call
// goes to the pod.
func (b *Cluster) coldHandler(ctx context.Context, d *appsv1.Deployment) (h http.Handler, podReady bool) {
	p, f := b.coldEligible(d)
	if p == nil {
		return nil, false
	}
	seat := b.cold.budget.reserve(ctx, p.mem)
	if seat == nil {
		return nil, false
	}
	handed := false
	defer func() {
		if !handed {
			seat.release()
		}
	}()
	l, err := b.loadCold(f, d, p)
	if err == nil {
		if podReady, err = b.awaitColdLoad(ctx, l, d); podReady || ctx.Err() != nil {
			return nil, podReady
		}
	}
	if err != nil {
		b.log.Warn("provider cannot serve the function's calls itself; they wait for its pods",
			"function", d.Name, "namespace", d.Namespace, "err", err)
		b.cold.observe(d.Name, d.Namespace, "load_failed")
		return nil, false
	}
	rh, err := b.cold.cfg.Runner.Handler(d.Name, d.Namespace)
	if err != nil {
		return nil, false
	}
	if d.Spec.Replicas != nil && *d.Spec.Replicas == 0 {
		b.wakePods(d.Name, d.Namespace)
	}
	handed = true
	return &coldCall{b: b, name: d.Name, ns: d.Namespace, mem: p.mem, seat: seat, h: rh}, false
}

// awaitColdLoad waits until load l ends (its error), a pod of d's function
// is ready (podReady), or ctx ends (neither).
func (b *Cluster) awaitColdLoad(ctx context.Context, l *coldLoad, d *appsv1.Deployment) (podReady bool, err error) {
	select {
	case <-l.done:
		return false, l.err
	default:
	}
	key := d.Namespace + "/" + d.Name
	for {
		// Take the signal before looking, so a change in between wakes us.
		changed := b.cold.pods.wait(key)
		if len(b.endpoints(d.Name, d.Namespace)) > 0 {
			return true, nil
		}
		select {
		case <-l.done:
			return false, l.err
		case <-ctx.Done():
			return false, nil
		case <-changed:
		}
	}
}

// coldEligible returns the plan of d's version (its spec and the memory
// one of its calls counts) and the function's state when the provider may
// serve its calls at all, else nil: it serves calls itself, d is a Wasm
// function that did not opt out, and its memory limit fits the budget. The
// answer is worked out once per version of the function's spec, not per
// call.
func (b *Cluster) coldEligible(d *appsv1.Deployment) (*coldPlan, *coldFunc) {
	c := b.cold
	if c == nil || d.Labels[LabelRuntime] != provider.RuntimeWasm {
		return nil, nil
	}
	f := c.fn(d)
	raw := coldKey(d)
	p := f.plan.Load()
	if p == nil || p.raw != raw {
		p = b.planCold(d, raw)
		f.plan.Store(p)
	}
	if !p.ok {
		return nil, nil
	}
	return p, f
}

// coldKey names the version of a function the provider loads: its spec
// annotation and the image its pods run (pinned to a digest at each deploy,
// so a redeploy of the same spec after its tag moved is a new version).
func coldKey(d *appsv1.Deployment) string {
	return d.Annotations[AnnotationSpec] + "\n" + podImage(d)
}

// coldPlan is what coldEligible decided for one version of a function
// (coldKey, raw); its spec is what the provider loads: the image the pods
// run, and as memory limit the linear memory their runner gives the module
// (runspec.LinearMemoryLimit), while mem, the function's whole limit, is
// what the call counts against the budget.
type coldPlan struct {
	raw  string
	spec provider.FunctionDeployment
	mem  int64
	ok   bool
}

func (b *Cluster) planCold(d *appsv1.Deployment, raw string) *coldPlan {
	p := &coldPlan{raw: raw}
	spec, err := b.cachedSpec(d)
	if err != nil {
		return p
	}
	if image := podImage(d); image != "" {
		spec.Image = image
	}
	p.spec = spec
	if o, err := wasmopts.Parse(spec.Annotations); err != nil || o.NoColdServe {
		return p
	}
	p.mem = b.cold.cfg.DefaultMemory
	if spec.Limits != nil && spec.Limits.Memory != "" {
		if p.mem, err = provider.ParseMemory(spec.Limits.Memory); err != nil {
			return p
		}
		// The module gets the linear memory its pod's runner gives it
		// under the same limit, not the whole limit: a call must not
		// succeed here and fail in the pod.
		limits := *spec.Limits
		limits.Memory = strconv.FormatInt(runspec.LinearMemoryLimit(p.mem), 10)
		p.spec.Limits = &limits
	}
	p.ok = p.mem <= b.cold.budget.memory
	return p
}

// preloadCold starts loading a just deployed Wasm function into the
// provider in the background, so that its first call, which comes before
// any pod is ready, finds the module pulled and compiled (or joins the
// load in progress).
func (b *Cluster) preloadCold(d *appsv1.Deployment) {
	p, f := b.coldEligible(d)
	if p == nil {
		return
	}
	l, err := b.loadCold(f, d, p)
	if err != nil {
		b.log.Warn("provider could not load the function ahead of its first call",
			"function", d.Name, "namespace", d.Namespace, "err", err)
		return
	}
	b.cold.background.Go(func() {
		if <-l.done; l.err != nil {
			b.log.Warn("provider could not load the function ahead of its first call",
				"function", d.Name, "namespace", d.Namespace, "err", l.err)
		}
	})
}

// loadCold makes sure the runner gets the function as deployed in d (the
// version coldEligible planned in p, for the function's state f), with its
// secrets' current values, and
// returns the load to wait for: one done already when nothing changed, the
// load in progress when it is the same, else a new one started in the
// background (after the one in progress).
// Concurrent first calls share one load, which goes on when they leave.
//
// # Errors
// secretVersions's; the error of a load of the same spec that failed less
// than coldRetry ago; errColdGone for a deleted function.
func (b *Cluster) loadCold(f *coldFunc, d *appsv1.Deployment, p *coldPlan) (*coldLoad, error) {
	c := b.cold
	raw, spec := p.raw, p.spec
	versions, err := b.secretVersions(d.Namespace, spec.Secrets)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	prev := f.load
	switch {
	case f.gone:
		return nil, errColdGone
	case prev != nil && prev.spec == raw && prev.secrets == versions:
		return prev, nil
	case prev == nil && f.spec == raw && f.secrets == versions:
		l := &coldLoad{spec: raw, secrets: versions, done: make(chan struct{})}
		close(l.done)
		return l, nil
	case prev == nil && f.failed == raw && b.opts.now().Sub(f.failedAt) < coldRetry:
		return nil, f.err
	}
	l := &coldLoad{spec: raw, secrets: versions, done: make(chan struct{})}
	f.load = l
	c.background.Go(func() {
		if prev != nil {
			<-prev.done
		}
		b.runColdLoad(f, l, d.Name, d.Namespace, spec)
	})
	return l, nil
}

// runColdLoad writes the function's secrets and loads its module into the
// runner unless that spec is loaded already, records the outcome in f and
// ends l.
func (b *Cluster) runColdLoad(f *coldFunc, l *coldLoad, name, ns string, spec provider.FunctionDeployment) {
	c := b.cold
	ctx, cancel := context.WithTimeout(c.ctx, coldLoadTimeout)
	defer cancel()
	f.mu.Lock()
	loaded, gone := f.spec, f.gone
	f.mu.Unlock()
	err := errColdGone
	if !gone {
		// Only a function with secrets gets a copy of them; the runner
		// preopens dir only for such a function (local's secretsMount).
		dir := filepath.Join(c.cfg.Dir, ns, name)
		err = nil
		if len(spec.Secrets) > 0 {
			err = b.writeColdSecrets(ctx, dir, ns, spec.Secrets)
		}
		if err == nil && loaded != l.spec {
			start := time.Now()
			err = c.cfg.Runner.Load(ctx, spec, dir, func(instance, line string) {
				b.log.Debug("function output", "function", name, "namespace", ns, "instance", instance, "line", line)
			})
			if err == nil {
				b.log.Info("provider loaded the function to serve its calls until a pod is ready",
					"function", name, "namespace", ns, "took", time.Since(start).Round(time.Millisecond))
			}
		}
		// Copies of the secrets an earlier version had, removed once the
		// replica that read them is replaced.
		if err == nil && len(spec.Secrets) == 0 {
			if rerr := os.RemoveAll(dir); rerr != nil {
				b.log.Warn("removing the secrets of a function that has none now", "function", name, "namespace", ns, "err", rerr)
			}
		}
	}
	f.mu.Lock()
	if err != nil {
		f.failed, f.failedAt, f.err = l.spec, b.opts.now(), err
	} else {
		f.spec, f.secrets, f.failed, f.err = l.spec, l.secrets, "", nil
	}
	if f.load == l {
		f.load = nil
	}
	l.err = err
	f.mu.Unlock()
	close(l.done)
}

// secretVersions names the versions of a function's Secrets from the
// informer cache, so that a changed Secret is written again.
//
// # Errors
// provider.ErrNotFound for a Secret that does not exist: the function's
// pods could not start either.
func (b *Cluster) secretVersions(ns string, names []string) (string, error) {
	var out strings.Builder
	for _, name := range names {
		s, err := b.secrets.Secrets(ns).Get(name)
		if err != nil {
			return "", fmt.Errorf("secret %s: %w", name, provider.ErrNotFound)
		}
		fmt.Fprintf(&out, "%s=%s;", name, s.ResourceVersion)
	}
	return out.String(), nil
}

// writeColdSecrets writes every key of the function's Secrets as a file of
// dir (0600, in a 0700 directory), as the pods' projected volume shows
// them, and removes files of keys that are gone. Values are read from the
// API server: the informer cache holds none.
func (b *Cluster) writeColdSecrets(ctx context.Context, dir, ns string, names []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("secrets directory: %w", err)
	}
	keep := map[string]bool{}
	for _, name := range names {
		s, err := b.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("read secret %s: %w", name, apiError(err))
		}
		for key, value := range s.Data {
			if err := writePrivate(filepath.Join(dir, key), value); err != nil {
				return fmt.Errorf("write secret %s: %w", name, err)
			}
			keep[key] = true
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("secrets directory: %w", err)
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("remove old secret: %w", err)
			}
		}
	}
	return nil
}

// writePrivate replaces path with data (0600) through a temporary file, so
// a guest reading it sees the old or the new value, never a mix.
func writePrivate(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// wakePods scales a function at zero replicas to its minimum in the
// background, once however many calls find it there, unless it was scaled
// meanwhile (wakeFromZero).
func (b *Cluster) wakePods(name, ns string) {
	c := b.cold
	key := ns + "/" + name
	c.mu.Lock()
	if c.waking[key] {
		c.mu.Unlock()
		return
	}
	c.waking[key] = true
	c.mu.Unlock()
	c.background.Go(func() {
		defer func() {
			c.mu.Lock()
			delete(c.waking, key)
			c.mu.Unlock()
		}()
		ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
		defer cancel()
		if err := b.WakeFromZero(ctx, name, ns); err != nil {
			b.log.Warn("scaling from zero behind a call served by the provider", "function", name, "namespace", ns, "err", err)
		}
	})
}

// forgetCold unloads a deleted function and removes its secrets' copy; its
// tombstone keeps calls that read d before the deletion from loading it
// again (coldServer.fn).
func (b *Cluster) forgetCold(d *appsv1.Deployment) {
	c := b.cold
	if c == nil {
		return
	}
	name, ns, key := d.Name, d.Namespace, d.Namespace+"/"+d.Name
	now := b.opts.now()
	c.mu.Lock()
	f, ok := c.fns[key]
	delete(c.fns, key)
	for k, t := range c.deleted {
		if now.Sub(t.at) > coldTombstone {
			delete(c.deleted, k)
		}
	}
	c.deleted[key] = coldDeletion{uid: d.UID, at: now}
	c.mu.Unlock()
	c.pods.changed(key)
	if !ok {
		return
	}
	f.mu.Lock()
	f.gone = true
	l := f.load
	f.mu.Unlock()
	if l != nil {
		<-l.done
	}
	if err := c.cfg.Runner.Unload(context.Background(), name, ns); err != nil {
		b.log.Warn("unloading a deleted function from the provider", "function", name, "namespace", ns, "err", err)
	}
	if err := os.RemoveAll(filepath.Join(c.cfg.Dir, ns, name)); err != nil {
		b.log.Warn("removing a deleted function's secrets", "function", name, "namespace", ns, "err", err)
	}
}

// coldCall serves one function's call in the provider within the budget.
type coldCall struct {
	b        *Cluster
	name, ns string
	mem      int64
	seat     *coldSeat // the call's place in the budget, taken by coldHandler
	h        http.Handler
}

// ServeHTTP runs the call in its seat, or, when that was given back (the
// context coldHandler got ended first) or the handler serves again, when the
// budget admits it; else it answers 429.
func (h *coldCall) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := h.b.cold
	if !h.seat.take() && !c.budget.acquire(h.mem) {
		c.observe(h.name, h.ns, "refused")
		w.Header().Set("Retry-After", "1")
		http.Error(w, fmt.Sprintf("function %s has no ready pod and the provider's budget for serving calls itself (%d calls, %d bytes of memory) is in use; retry",
			h.name, c.budget.calls, c.budget.memory), http.StatusTooManyRequests)
		return
	}
	defer c.budget.release(h.mem)
	c.observe(h.name, h.ns, "served")
	h.h.ServeHTTP(w, r)
}

// coldBudget counts the calls the provider serves itself and the memory
// limits they may reach.
type coldBudget struct {
	calls  int
	memory int64

	mu       sync.Mutex
	inflight int
	used     int64
}

// reserve admits a call of mem bytes and returns its seat, given back by
// seat.release, by take's caller, or when ctx ends, whichever comes first;
// nil when the call does not fit.
func (g *coldBudget) reserve(ctx context.Context, mem int64) *coldSeat {
	if !g.acquire(mem) {
		return nil
	}
	s := &coldSeat{g: g, mem: mem}
	s.stop = context.AfterFunc(ctx, s.release)
	return s
}

// coldSeat is one admitted call's place in the budget.
type coldSeat struct {
	g       *coldBudget
	mem     int64
	stop    func() bool
	settled atomic.Bool // given back, or taken by the call
}

// release gives the seat back unless it was taken or given back already.
func (s *coldSeat) release() {
	if s.settled.CompareAndSwap(false, true) {
		s.stop()
		s.g.release(s.mem)
	}
}

// take claims the seat for serving: true when it was still held, and the
// caller then releases its budget (coldBudget.release) after the call.
func (s *coldSeat) take() bool {
	if s.settled.CompareAndSwap(false, true) {
		s.stop()
		return true
	}
	return false
}

// acquire admits a call of mem bytes, or reports false when it does not fit.
func (g *coldBudget) acquire(mem int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.inflight >= g.calls || g.used+mem > g.memory {
		return false
	}
	g.inflight++
	g.used += mem
	return true
}

func (g *coldBudget) release(mem int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inflight--
	g.used -= mem
}
