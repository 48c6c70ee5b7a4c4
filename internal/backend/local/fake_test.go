package local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// fakeEngine stands in for runtime/wasm in tests of the backend's logic. A
// module is its bytes as text; "notfunc" modules fail to compile.
type fakeEngine struct {
	compiles    atomic.Int64
	precompiled atomic.Int64 // loads of a trusted precompiled module
	open        atomic.Int64 // replicas loaded and not closed
}

func (e *fakeEngine) compile(_ context.Context, module, precompiled []byte) (wasmProgram, error) {
	if precompiled != nil {
		e.precompiled.Add(1)
	} else {
		e.compiles.Add(1)
	}
	if bytes.HasPrefix(module, []byte("notfunc")) {
		return nil, fmt.Errorf("module exports neither _start nor faas_handle: %w", provider.ErrImage)
	}
	return &fakeProgram{e: e, module: string(module)}, nil
}

func (e *fakeEngine) fingerprint() string { return fakeFingerprint }

const fakeFingerprint = "fake-engine/1"

type fakeProgram struct {
	e      *fakeEngine
	module string
}

// size counts the compiled code as large as the module.
func (p *fakeProgram) size() int64 { return int64(len(p.module)) }

// instantiate refuses warm mode, as the engine does for command modules.
func (p *fakeProgram) instantiate(cfg replicaConfig) (wasmReplica, error) {
	if cfg.Warm {
		return nil, fmt.Errorf("warm mode needs a reactor module: %w", provider.ErrInvalid)
	}
	p.e.open.Add(1)
	return &fakeReplica{p: p, cfg: cfg}, nil
}

type fakeReplica struct {
	p      *fakeProgram
	cfg    replicaConfig
	closed atomic.Bool
}

// invoke answers by path: /fail, /timeout, /big fail in their class;
// /secret/NAME returns that secret; /slow waits for the context; anything
// else echoes "module|ENV|body" and logs the body.
func (r *fakeReplica) invoke(ctx context.Context, req *invocation) (*reply, error) {
	if r.closed.Load() {
		return nil, fmt.Errorf("replica used after close")
	}
	switch {
	case req.Path == "/fail":
		return nil, &wasm.ExitError{Code: 3}
	case req.Path == "/timeout":
		return nil, fmt.Errorf("%w after 1s", wasm.ErrTimeout)
	case req.Path == "/big":
		return nil, fmt.Errorf("%w: over 10 bytes", wasm.ErrResponseTooLarge)
	case req.Path == "/slow":
		<-ctx.Done()
		return nil, fmt.Errorf("%w: %w", wasm.ErrTimeout, ctx.Err())
	case strings.HasPrefix(req.Path, "/secret/"):
		data, err := os.ReadFile(filepath.Join(r.cfg.SecretsDir, strings.TrimPrefix(req.Path, "/secret/")))
		if err != nil {
			return nil, err
		}
		return &reply{Status: 200, Body: data}, nil
	}
	r.cfg.Log("got " + string(req.Body))
	body := fmt.Sprintf("%s|%s|%s", r.p.module, r.cfg.Env["GREETING"], req.Body)
	return &reply{Status: 201, Header: http.Header{"X-Fake": {"yes"}}, Body: []byte(body)}, nil
}

func (r *fakeReplica) close() error {
	if !r.closed.Swap(true) {
		r.p.e.open.Add(-1)
	}
	return nil
}

// fakeRegistry maps image references to module bytes. References starting
// with "ctr/" are container images. An image's digest is the SHA-256 of
// its module; a pinned reference is "pinned@" and the digest.
type fakeRegistry struct {
	mu       sync.Mutex
	images   map[string]string
	pulls    int
	resolves int
}

func (r *fakeRegistry) set(ref, module string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if module == "" {
		delete(r.images, ref)
		return
	}
	r.images[ref] = module
}

func (r *fakeRegistry) inspect(_ context.Context, ref string) (string, error) {
	if strings.HasPrefix(ref, "ctr/") {
		return provider.RuntimeContainer, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.images[ref]; !ok {
		return "", fmt.Errorf("image %s not found: %w", ref, provider.ErrImage)
	}
	return provider.RuntimeWasm, nil
}

func fakeDigest(module string) string {
	sum := sha256.Sum256([]byte(module))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func (r *fakeRegistry) resolve(_ context.Context, ref string) (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resolves++
	m, ok := r.images[ref]
	if !ok {
		return "", "", fmt.Errorf("image %s not found: %w", ref, provider.ErrImage)
	}
	return fakeDigest(m), "pinned@" + fakeDigest(m), nil
}

func (r *fakeRegistry) pull(_ context.Context, ref string) (pulledModule, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pulls++
	for _, m := range r.images {
		if "pinned@"+fakeDigest(m) == ref {
			return pulledModule{module: []byte(m), digest: fakeDigest(m)}, nil
		}
	}
	return pulledModule{}, fmt.Errorf("image %s not found: %w", ref, provider.ErrImage)
}

func (r *fakeRegistry) source() imageSource { return imageSource{resolve: r.resolve, pull: r.pull} }

// fixture is a backend over fakes, on a state directory.
type fixture struct {
	b   *Host
	eng *fakeEngine
	reg *fakeRegistry
	dir string
}

func newFixture(t testing.TB, opts ...Option) *fixture {
	t.Helper()
	reg := &fakeRegistry{images: map[string]string{"echo:1": "echo-v1", "echo:2": "echo-v2", "bad:1": "notfunc"}}
	return openFixture(t, t.TempDir(), &fakeEngine{}, reg, opts...)
}

// openFixture opens (or reopens, for restart tests) a backend on dir.
func openFixture(t testing.TB, dir string, eng *fakeEngine, reg *fakeRegistry, opts ...Option) *fixture {
	t.Helper()
	o, err := buildOptions(append([]Option{WithLogger(discardLogger())}, opts...))
	if err != nil {
		t.Fatalf("options: %v", err)
	}
	w := newWasmDriver(eng, reg.source(), filepath.Join(dir, "wasm"), &o)
	b, err := newBackend(context.Background(), dir, w, reg.inspect, o)
	if err != nil {
		t.Fatalf("newBackend: %v", err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	return &fixture{b: b, eng: eng, reg: reg, dir: dir}
}

// fakeRunner is a Driver that only counts replicas, for benchmarks and
// tests of what sits above a driver.
type fakeRunner struct {
	mu   sync.Mutex
	fns  map[string]uint64
	err  error // returned by Deploy when set
	last Deployment
}

func newFakeRunner() *fakeRunner { return &fakeRunner{fns: map[string]uint64{}} }

func (r *fakeRunner) Deploy(_ context.Context, d Deployment) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	r.fns[d.Spec.Namespace+"/"+d.Spec.Service] = d.Replicas
	r.last = d
	return nil
}

func (r *fakeRunner) Scale(_ context.Context, name, ns string, n uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.fns[ns+"/"+name]; !ok {
		return provider.ErrNotFound
	}
	r.fns[ns+"/"+name] = n
	return nil
}

func (r *fakeRunner) Remove(_ context.Context, name, ns string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.fns, ns+"/"+name)
	return nil
}

func (r *fakeRunner) Handler(name, ns string) (http.Handler, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fns[ns+"/"+name] == 0 {
		return nil, provider.ErrUnavailable
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("container")) }), nil
}

func (r *fakeRunner) Replicas(name, ns string) (uint64, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.fns[ns+"/"+name]
	return n, n
}

func (r *fakeRunner) Close(context.Context) error { return nil }
