package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/provider"
)

// The narrow view of the Wasm engine the driver uses, so its logic can be
// tested with a fake; engine.go adapts runtime/wasm to it.
type (
	// wasmEngine compiles modules. Errors wrap provider.ErrImage when the
	// bytes are not a usable function module.
	wasmEngine interface {
		// compile compiles module, or loads precompiled (its trusted
		// precompiled form, or nil) instead when the engine accepts it.
		compile(ctx context.Context, module, precompiled []byte) (wasmProgram, error)
		// fingerprint names the compiled code the engine runs.
		fingerprint() string
	}
	// wasmProgram is a compiled module; instantiate loads one replica.
	wasmProgram interface {
		instantiate(cfg replicaConfig) (wasmReplica, error)
		// size is the compiled code's size in bytes.
		size() int64
	}
	// wasmReplica serves calls; invoke errors are the engine's (package
	// wasm), whose class sets the status (wasm.ErrorStatus).
	wasmReplica interface {
		invoke(ctx context.Context, req *invocation) (*reply, error)
		close() error
	}
)

// replicaConfig is what one replica is loaded with.
type replicaConfig struct {
	Name, Namespace  string
	Env              map[string]string
	SecretsDir       string
	MemoryLimit      int64
	Timeout          time.Duration
	MaxResponseBytes int64
	MaxConcurrency   int
	AllowedHosts     []string
	Warm             bool
	Log              func(line string)
}

// invocation is one request to a replica; reply is its answer.
type (
	invocation struct {
		Method, Path, RawQuery, Host, RemoteAddr string
		Header                                   map[string][]string
		Body                                     []byte
	}
	reply struct {
		Status int
		Header map[string][]string
		Body   []byte
	}
)

// pulledModule is what a pull returns: the module, the digest of the
// image it came from (of the index, for an index) and, when asked for and
// present, the image's precompiled layer (untrusted) or why it could not be
// read.
type pulledModule struct {
	module []byte
	digest string
	pre    *oci.Precompiled
	preErr error
}

// wasmDriver runs Wasm functions in-process. It keeps each function's module
// in a moduleStore so a restart does not need the registry, and modules and
// their compiled programs in a moduleCache shared by all functions.
type wasmDriver struct {
	eng     wasmEngine
	src     imageSource
	modules *moduleStore
	cache   *moduleCache
	o       *options
	seq     atomic.Uint64

	mu  sync.RWMutex
	fns map[string]*wasmFunc
}

var _ Driver = (*wasmDriver)(nil)

// newWasmDriver returns a driver reading images through src and keeping
// modules under dir; with dir "" it keeps none (nothing to restore from
// after a restart).
func newWasmDriver(eng wasmEngine, src imageSource, dir string, o *options) *wasmDriver {
	var m *moduleStore
	if dir != "" {
		m = &moduleStore{dir: dir, log: o.log}
		m.sweep()
	}
	return &wasmDriver{eng: eng, src: src, modules: m,
		cache: newModuleCache(o.moduleCache), o: o, fns: map[string]*wasmFunc{}}
}

// imageSource reads Wasm images: resolve returns the digest a reference
// names now and the reference pinned to it, pull reads a module by a pinned
// reference.
type imageSource struct {
	resolve func(ctx context.Context, ref string) (digest, pinned string, err error)
	pull    func(ctx context.Context, ref string) (pulledModule, error)
}

// Deploy finds the module (cached, or pulled and compiled; on restore, the
// kept copy), loads d.Replicas replicas and only then replaces the previous
// ones.
func (w *wasmDriver) Deploy(ctx context.Context, d Deployment) (err error) {
	name, ns := d.Spec.Service, d.Spec.Namespace
	m, restored, err := w.module(ctx, d)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			w.cache.release(m.digest)
		}
	}()
	cfg, err := w.config(d)
	if err != nil {
		return err
	}
	fn := &wasmFunc{name: name, ns: ns, digest: m.digest, prog: m.prog, cfg: cfg, log: d.Log, o: w.o}
	// Load at least one replica, so a configuration the engine refuses
	// fails the deploy rather than a later scale-up.
	slots, err := w.load(fn, max(d.Replicas, 1))
	if err != nil {
		return err
	}
	if d.Replicas == 0 {
		retire(slots, true)
		slots = nil
	}
	if !restored && w.modules != nil {
		if err := w.modules.keep(name, ns, m.digest, m.module); err != nil {
			retire(slots, true)
			return fmt.Errorf("keep module of %s: %w", name, err)
		}
	}
	fn.replicas = slots
	w.mu.Lock()
	old := w.fns[ns+"/"+name]
	w.fns[ns+"/"+name] = fn
	w.mu.Unlock()
	if old != nil {
		old.mu.Lock()
		retire(old.replicas, false)
		old.replicas = nil
		old.mu.Unlock()
		w.cache.release(old.digest)
	}
	return nil
}

// module returns the function's module, counted as used in the cache
// (release it), and whether it is the copy kept for the function. On
// restore that copy is read; otherwise the image reference is resolved to
// its digest, and an image whose digest is cached needs nothing more. Else
// the module is pulled by the pinned reference and compiled, unless a
// module of the same bytes is cached.
func (w *wasmDriver) module(ctx context.Context, d Deployment) (*cachedModule, bool, error) {
	image := d.Spec.Image
	if d.Restore && w.modules != nil {
		data, err := w.modules.read(d.Spec.Service, d.Spec.Namespace)
		if err == nil {
			m, err := w.compiled(ctx, image, "", pulledModule{module: data})
			return m, true, err
		}
		if !errors.Is(err, fs.ErrNotExist) {
			w.o.log.Warn("kept module unreadable; pulling again", "function", d.Spec.Service, "err", err)
		}
	}
	digest, pinned, err := w.src.resolve(ctx, image)
	if err != nil {
		return nil, false, err
	}
	if m := w.cache.image(digest); m != nil {
		w.o.log.Debug("module cached", "image", image, "digest", digest)
		return m, false, nil
	}
	p, err := w.src.pull(ctx, pinned)
	if err != nil {
		return nil, false, err
	}
	if p.digest != digest {
		return nil, false, fmt.Errorf("image %s: pulled %s, which is not %s it resolved to: %w", image, p.digest, digest, provider.ErrImage)
	}
	m, err := w.compiled(ctx, image, digest, p)
	return m, false, err
}

// compiled returns the cached module of these bytes, counted as used,
// compiling it (or loading its trusted precompiled layer, see trusted)
// when it is not cached. imageDigest ("" for none) names the image it came
// from, so the next deploy of that image finds it.
func (w *wasmDriver) compiled(ctx context.Context, image, imageDigest string, pm pulledModule) (*cachedModule, error) {
	sum := sha256.Sum256(pm.module)
	digest := hex.EncodeToString(sum[:])
	if m := w.cache.module(digest, imageDigest); m != nil {
		return m, nil
	}
	p, err := w.eng.compile(ctx, pm.module, w.trusted(image, "sha256:"+digest, pm))
	if err != nil {
		return nil, fmt.Errorf("compile module of %s: %w", image, err)
	}
	size := int64(len(pm.module)) + p.size()
	return w.cache.add(&cachedModule{digest: digest, module: pm.module, prog: p, size: size}, imageDigest), nil
}

// trusted returns the precompiled form of the module pulled with it when a
// trusted build key signed it for this module (digest "sha256:<hex>") and
// this engine; nil otherwise, with a debug log saying why.
func (w *wasmDriver) trusted(image, digest string, pm pulledModule) []byte {
	if pm.preErr != nil {
		w.o.log.Debug("precompiled layer ignored, compiling the module", "image", image, "reason", pm.preErr)
		return nil
	}
	p := pm.pre
	if p == nil {
		return nil
	}
	if err := w.o.trustedKeys.Check(p.Claims(), p.Data, digest, w.eng.fingerprint()); err != nil {
		w.o.log.Debug("precompiled layer ignored, compiling the module", "image", image, "module", digest, "reason", err)
		return nil
	}
	w.o.log.Debug("precompiled layer trusted", "image", image, "module", digest, "key", p.KeyID, "bytes", len(p.Data))
	return p.Data
}

// config derives a replica's configuration from the deployment; the
// com.openfaas.wasm.* annotations are read by provider.ParseWasmOptions, as
// the shim reads them on Kubernetes.
func (w *wasmDriver) config(d Deployment) (replicaConfig, error) {
	s := d.Spec
	opts, err := provider.ParseWasmOptions(s.Annotations)
	if err != nil {
		return replicaConfig{}, err
	}
	cfg := replicaConfig{
		Name: s.Service, Namespace: s.Namespace, Env: s.EnvVars, SecretsDir: d.secretsMount(),
		Timeout: w.o.timeout, MaxResponseBytes: w.o.maxResponseBytes, MaxConcurrency: w.o.concurrency,
		Warm: opts.Warm, AllowedHosts: opts.AllowedHosts,
	}
	if opts.MaxConcurrency > 0 {
		cfg.MaxConcurrency = opts.MaxConcurrency
	}
	if t := provider.ExecTimeout(s.EnvVars); t > 0 && t < cfg.Timeout {
		cfg.Timeout = t
	}
	if s.Limits != nil {
		m, err := provider.ParseMemory(s.Limits.Memory)
		if err != nil {
			return cfg, err
		}
		cfg.MemoryLimit = m
	}
	return cfg, nil
}

// load creates n replicas of fn; on error it closes those already made.
func (w *wasmDriver) load(fn *wasmFunc, n uint64) ([]*slot, error) {
	slots := make([]*slot, 0, n)
	for range n {
		s := &slot{id: fmt.Sprintf("%s-%d", fn.name, w.seq.Add(1))}
		cfg := fn.cfg
		log, id := fn.log, s.id
		cfg.Log = func(line string) { log(id, line) }
		r, err := fn.prog.instantiate(cfg)
		if err != nil {
			retire(slots, true)
			return nil, fmt.Errorf("load replica of %s: %w", fn.name, err)
		}
		s.r = r
		slots = append(slots, s)
	}
	return slots, nil
}

func (w *wasmDriver) get(name, ns string) (*wasmFunc, error) {
	w.mu.RLock()
	defer w.mu.RUnlock()
	fn, ok := w.fns[ns+"/"+name]
	if !ok {
		return nil, fmt.Errorf("wasm function %q in namespace %q: %w", name, ns, provider.ErrNotFound)
	}
	return fn, nil
}

// Scale loads or unloads replicas; the compiled module stays, so scaling up
// from zero costs only the replicas' loading.
func (w *wasmDriver) Scale(_ context.Context, name, ns string, replicas uint64) error {
	fn, err := w.get(name, ns)
	if err != nil {
		return err
	}
	fn.mu.RLock()
	have := uint64(len(fn.replicas))
	fn.mu.RUnlock()
	if replicas > have {
		more, err := w.load(fn, replicas-have)
		if err != nil {
			return err
		}
		fn.mu.Lock()
		fn.replicas = append(fn.replicas, more...)
		fn.mu.Unlock()
		return nil
	}
	fn.mu.Lock()
	gone := fn.replicas[replicas:]
	fn.replicas = fn.replicas[:replicas:replicas]
	fn.mu.Unlock()
	retire(gone, false)
	return nil
}

// Remove unloads every replica once its calls end, and deletes the kept module.
func (w *wasmDriver) Remove(_ context.Context, name, ns string) error {
	w.mu.Lock()
	fn := w.fns[ns+"/"+name]
	delete(w.fns, ns+"/"+name)
	w.mu.Unlock()
	if fn != nil {
		fn.mu.Lock()
		gone := fn.replicas
		fn.replicas = nil
		fn.mu.Unlock()
		retire(gone, true)
		w.cache.release(fn.digest)
	}
	if w.modules == nil {
		return nil
	}
	if err := w.modules.remove(name, ns); err != nil {
		return fmt.Errorf("remove module of %s: %w", name, err)
	}
	return nil
}

// Handler returns a handler that serves each call on the replicas current
// at that moment, so a call racing an update reaches the new replicas.
func (w *wasmDriver) Handler(name, ns string) (http.Handler, error) {
	fn, err := w.get(name, ns)
	if err != nil {
		return nil, err
	}
	if _, a := fn.count(); a == 0 {
		return nil, fmt.Errorf("wasm function %q has no replica loaded: %w", name, provider.ErrUnavailable)
	}
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		fn, err := w.get(name, ns)
		if err != nil {
			http.Error(rw, fmt.Sprintf("No endpoints available for: %s.", name), http.StatusServiceUnavailable)
			return
		}
		fn.ServeHTTP(rw, r)
	}), nil
}

// Replicas reports the loaded replicas; a loaded replica is ready.
func (w *wasmDriver) Replicas(name, ns string) (uint64, uint64) {
	fn, err := w.get(name, ns)
	if err != nil {
		return 0, 0
	}
	return fn.count()
}

// Close unloads every replica of every function, waiting for their calls.
func (w *wasmDriver) Close(context.Context) error {
	w.mu.Lock()
	fns := w.fns
	w.fns = map[string]*wasmFunc{}
	w.mu.Unlock()
	for _, fn := range fns {
		fn.mu.Lock()
		gone := fn.replicas
		fn.replicas = nil
		fn.mu.Unlock()
		retire(gone, true)
	}
	return nil
}
