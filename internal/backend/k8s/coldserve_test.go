package k8s

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/faas-wasm/faas-wasm/internal/backend/local"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// echoModule is local mode's test function (../local/testdata/echo)
// compiled for wasip1 once per test binary, and the AOT cache directory the
// tests' engines share (removed by TestMain), so it is compiled to native
// code once too.
var echoModule struct {
	once  sync.Once
	data  []byte
	cache string
	err   error
}

func buildEcho(t testing.TB) []byte {
	t.Helper()
	echoModule.once.Do(func() {
		dir, err := os.MkdirTemp("", "k8s-cold-")
		if err != nil {
			echoModule.err = err
			return
		}
		echoModule.cache = dir
		out := filepath.Join(dir, "echo.wasm")
		cmd := exec.Command("go", "build", "-o", out, "../local/testdata/echo")
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			echoModule.err = errors.New(string(b))
			return
		}
		echoModule.data, echoModule.err = os.ReadFile(out)
	})
	if echoModule.err != nil {
		t.Fatalf("building the echo module: %v", echoModule.err)
	}
	return echoModule.data
}

// coldCounter records the outcomes a backend reports to its ColdObserver.
type coldCounter struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *coldCounter) ColdCall(name, ns, outcome string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[name+" "+outcome]++
}

func (c *coldCounter) get(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}

// coldRig is a backend over a fake clientset that serves Wasm calls
// without a ready pod on a real engine, with images in a real loopback
// registry.
type coldRig struct {
	c        *fake.Clientset
	b        *Cluster
	registry string
	requests *ocitest.Requests // the registry answered
	obs      *coldCounter
	loads    *loadCounter // the runner's engine
	dir      string
}

// newColdRig starts the rig with budget (zero fields take 4 calls and
// 1 GiB) and the echo module pushed as registry/fn/echo:1. Images are not
// inspected (all are Wasm) nor pinned, unless opts say otherwise.
func newColdRig(t testing.TB, budget ColdServe, opts ...Option) *coldRig {
	t.Helper()
	return newColdRigRunner(t, budget, nil, opts...)
}

// newColdRigRunner is newColdRig with runnerOpts configuring the runner.
func newColdRigRunner(t testing.TB, budget ColdServe, runnerOpts []local.Option, opts ...Option) *coldRig {
	t.Helper()
	module := buildEcho(t)
	r := &coldRig{c: newFake(), obs: &coldCounter{}, loads: &loadCounter{}, dir: t.TempDir()}
	r.registry, r.requests = ocitest.NewCountingRegistry(t)
	r.push(t, "echo", module)
	runner, err := local.NewWasmRunner(filepath.Join(echoModule.cache, "cache"), []wasm.Option{wasm.WithObserver(r.loads)}, runnerOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Close(context.Background()) })
	budget.Runner, budget.Observer, budget.Dir = runner, r.obs, filepath.Join(r.dir, "secrets")
	budget.DefaultMemory = wasm.DefaultMemoryLimit
	if budget.Concurrency == 0 {
		budget.Concurrency = 4
	}
	if budget.Memory == 0 {
		budget.Memory = 1 << 30
	}
	r.b = newBackend(t, r.c, append([]Option{WithColdServe(budget),
		WithImageInspector(func(context.Context, string) (string, error) { return provider.RuntimeWasm, nil })}, opts...)...)
	return r
}

// loadCounter counts the modules an engine compiled (misses) and loaded
// without compiling (hits: from its AOT cache or a precompiled layer).
type loadCounter struct{ hits, misses atomic.Int32 }

func (c *loadCounter) ModuleLoaded(cached bool) {
	if cached {
		c.hits.Add(1)
	} else {
		c.misses.Add(1)
	}
}

func (c *loadCounter) GuestCallDone(string, string) {}

func (r *coldRig) push(t testing.TB, name string, module []byte) string {
	t.Helper()
	img, err := oci.WasmImage(module, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	return r.pushImage(t, name, img)
}

// pushImage pushes img as registry/fn/name:1 and returns that reference.
func (r *coldRig) pushImage(t testing.TB, name string, img v1.Image) string {
	t.Helper()
	ref := r.image(name)
	if _, err := oci.Push(context.Background(), img, ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// plan returns the plan of function name (default namespace) the
// provider last made, nil when it has none.
func (r *coldRig) plan(name string) *coldPlan {
	c := r.b.cold
	c.mu.Lock()
	f := c.fns[provider.DefaultNamespace+"/"+name]
	c.mu.Unlock()
	if f == nil {
		return nil
	}
	return f.plan.Load()
}

// image is the reference push and pushImage push name as.
func (r *coldRig) image(name string) string { return r.registry + "/fn/" + name + ":1" }

// call asks the backend for the function's handler, as the HTTP layer does,
// and runs one request through it.
func (r *coldRig) call(t *testing.T, name, path string) (http.Handler, int, string, http.Header) {
	t.Helper()
	h, err := r.b.Invoker(context.Background(), name, "")
	if err != nil {
		t.Fatalf("Invoker(%s) = %v", name, err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, strings.NewReader("hi")))
	return h, rec.Code, rec.Body.String(), rec.Header()
}

// handlerOf asks b for the handler of function name without serving a
// call, as the scale-from-zero wait polls: the call's place in the budget
// is given back at once (as its context's end would, a moment later).
func handlerOf(b *Cluster, name string) (http.Handler, error) {
	h, err := b.Invoker(context.Background(), name, "")
	if c, ok := h.(*coldCall); ok {
		c.seat.release()
	}
	return h, err
}

// TestColdServeUntilPodReady proves the readiness decision: a Wasm function
// is loaded into the provider as it is deployed; without a ready endpoint
// it is served by the provider (the real module answers), and once an
// endpoint is ready its calls go to the pod.
func TestColdServeUntilPodReady(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo"),
		EnvVars: map[string]string{"GREETING": "cold"}})
	r.waitLoaded(t, "echo")

	h, code, body, hdr := r.call(t, "echo", "/?x=1")
	if _, ok := h.(*coldCall); !ok {
		t.Fatalf("handler without a ready pod is %T, want the provider's", h)
	}
	if code != http.StatusCreated || body != "GREETING=cold METHOD=POST QUERY=x=1 BODY=hi" || hdr.Get("X-Echo") != "yes" {
		t.Fatalf("served by the provider: %d %q %v", code, body, hdr)
	}
	if n := r.obs.get("echo served"); n != 1 {
		t.Errorf("served calls counted = %d, want 1", n)
	}

	ip, port := replica(t, "pod1")
	setEndpoints(t, r.c, "echo", port, map[string]bool{ip: true})
	eventually(t, "calls going to the ready pod", func() bool {
		h, err := handlerOf(r.b, "echo")
		_, cold := h.(*coldCall)
		return err == nil && !cold
	})
	_, code, body, _ = r.call(t, "echo", "/x")
	if code != http.StatusOK || body != "pod1 /x" {
		t.Fatalf("after the pod is ready: %d %q, want the pod's answer", code, body)
	}
	if n := r.obs.get("echo served"); n != 1 {
		t.Errorf("served calls counted = %d after the pod took over, want 1", n)
	}
}

// TestColdServeScaledToZero: a call to a Wasm function at zero replicas is
// answered at once by the provider, which scales the function back up.
func TestColdServeScaledToZero(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	ctx := context.Background()
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo"),
		Labels: map[string]string{provider.LabelScaleMin: "2"}})
	if err := r.b.Scale(ctx, "echo", "", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "zero replicas in the cache", func() bool {
		st, err := r.b.Function(ctx, "echo", "")
		return err == nil && st.Replicas == 0
	})
	if _, code, _, _ := r.call(t, "echo", "/"); code != http.StatusCreated {
		t.Fatalf("call at zero replicas = %d, want the function's 201", code)
	}
	eventually(t, "scaled back to com.openfaas.scale.min", func() bool {
		st, err := r.b.Function(ctx, "echo", "")
		return err == nil && st.Replicas == 2
	})
}

// TestColdServeWakeKeepsNewerScale is the regression test of a scale
// lost to a wake-up: a call served by the provider at zero replicas scales
// the function back up in the background, and a client that scaled it to 2
// meanwhile (the bench's memory phase, right after its last scale-from-zero
// round) had that undone: the wake-up wrote 1 over it, and the second pod
// never came. The client's scale lands here just before the wake-up's write.
func TestColdServeWakeKeepsNewerScale(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	ctx := context.Background()
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo")})
	if err := r.b.Scale(ctx, "echo", "", 0); err != nil {
		t.Fatal(err)
	}
	eventually(t, "zero replicas in the cache", func() bool {
		st, err := r.b.Function(ctx, "echo", "")
		return err == nil && st.Replicas == 0
	})
	var raced atomic.Bool
	r.c.Lock() // the backend's informers and reconciler use the fake already
	r.c.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" || !raced.CompareAndSwap(false, true) {
			return false, nil, nil
		}
		gvr := appsv1.SchemeGroupVersion.WithResource("deployments")
		obj, err := r.c.Tracker().Get(gvr, a.GetNamespace(), "echo")
		if err != nil {
			return true, nil, err
		}
		d := obj.(*appsv1.Deployment).DeepCopy()
		two := int32(2)
		d.Spec.Replicas = &two
		d.ResourceVersion += "-client"
		if err := r.c.Tracker().Update(gvr, d, a.GetNamespace()); err != nil {
			t.Errorf("the client's scale to 2: %v", err)
		}
		return false, nil, nil
	})
	r.c.Unlock()
	if _, code, _, _ := r.call(t, "echo", "/"); code != http.StatusCreated {
		t.Fatalf("call at zero replicas = %d, want the function's 201", code)
	}
	eventually(t, "the wake-up's end", func() bool {
		r.b.cold.mu.Lock()
		defer r.b.cold.mu.Unlock()
		return raced.Load() && !r.b.cold.waking[provider.DefaultNamespace+"/echo"]
	})
	d, err := r.c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, "echo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if *d.Spec.Replicas != 2 {
		t.Fatalf("replicas = %d after a client scaled to 2 while the wake-up ran, want 2", *d.Spec.Replicas)
	}
}

// TestColdServeNotServed lists the calls that wait for a pod: container
// functions, the opt-out annotation, a memory limit beyond the budget, a
// full budget and a module that does not compile.
func TestColdServeNotServed(t *testing.T) {
	r := newColdRig(t, ColdServe{Concurrency: 1, Memory: 1 << 30})
	r.push(t, "broken", []byte("\x00asm\x01\x00\x00\x00 not a module"))
	ctx := context.Background()
	for _, fn := range []provider.FunctionDeployment{
		{Service: "container", Image: r.image("echo"), Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer}},
		{Service: "optout", Image: r.image("echo"), Annotations: map[string]string{provider.AnnotationColdServe: "false"}},
		{Service: "big", Image: r.image("echo"), Limits: &provider.FunctionResources{Memory: "2Gi"}},
		{Service: "broken", Image: r.image("broken")},
	} {
		deployed(t, r.b, fn)
		if _, err := r.b.Invoker(ctx, fn.Service, ""); !errors.Is(err, provider.ErrUnavailable) {
			t.Errorf("%s: Invoker = %v, want ErrUnavailable (wait for a pod)", fn.Service, err)
		}
	}
	if n := r.obs.get("broken load_failed"); n != 1 {
		t.Errorf("load failures counted = %d, want 1", n)
	}
	if _, err := r.b.Invoker(ctx, "broken", ""); !errors.Is(err, provider.ErrUnavailable) || r.obs.get("broken load_failed") != 2 {
		t.Errorf("second call: %v, %d failures counted", err, r.obs.get("broken load_failed"))
	}

	err := r.b.Deploy(ctx, provider.FunctionDeployment{Service: "bad", Image: r.image("echo"),
		Annotations: map[string]string{provider.AnnotationColdServe: "maybe"}})
	if !errors.Is(err, provider.ErrInvalid) || !strings.Contains(err.Error(), provider.AnnotationColdServe) {
		t.Errorf("Deploy with %s=maybe = %v, want ErrInvalid naming it", provider.AnnotationColdServe, err)
	}
}

// TestColdServeBudget: a call takes its place in the concurrency and
// memory budget when Invoker hands it the provider's handler; beyond the
// budget Invoker leaves the call to the pods (the HTTP layer answers 503
// when none becomes ready in time). A handler whose call's context ended
// before it served gave its place back: it answers 429 with Retry-After
// when the budget is full then, and serves when there is room.
func TestColdServeBudget(t *testing.T) {
	r := newColdRig(t, ColdServe{Concurrency: 2, Memory: 200 << 20})
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo"),
		Limits: &provider.FunctionResources{Memory: "64Mi"}})
	r.waitLoaded(t, "echo")
	g := &r.b.cold.budget
	serve := func(h http.Handler) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		return rec
	}
	invoke := func(ctx context.Context) (http.Handler, error) { return r.b.Invoker(ctx, "echo", "") }

	// The memory budget: 150 MiB held elsewhere leaves no room for 64 MiB.
	if !g.acquire(150 << 20) {
		t.Fatal("could not take 150 MiB of the budget")
	}
	if _, err := invoke(t.Context()); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("Invoker with the memory budget full = %v, want ErrUnavailable", err)
	}
	g.release(150 << 20)

	// Two calls hold the two places: a third is left to the pods.
	h1, err1 := invoke(t.Context())
	h2, err2 := invoke(t.Context())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if _, err := invoke(t.Context()); !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("third Invoker with 2 calls admitted = %v, want ErrUnavailable", err)
	}
	if rec := serve(h1); rec.Code != http.StatusCreated {
		t.Fatalf("first call: %d %s", rec.Code, rec.Body)
	}
	if rec := serve(h2); rec.Code != http.StatusCreated {
		t.Fatalf("second call: %d %s", rec.Code, rec.Body)
	}

	// A handler whose context ended gave its place back.
	ctx, cancel := context.WithCancel(t.Context())
	late, err := invoke(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	eventually(t, "the ended call's place given back", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.inflight == 0
	})
	for range 2 {
		if !g.acquire(1) {
			t.Fatal("could not fill the budget")
		}
	}
	rec := serve(late)
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || !strings.Contains(rec.Body.String(), "budget") {
		t.Errorf("late call with the budget full: %d %v %q, want 429 with Retry-After naming the budget", rec.Code, rec.Header(), rec.Body)
	}
	g.release(1)
	if rec := serve(late); rec.Code != http.StatusCreated {
		t.Errorf("late call with room: %d %s", rec.Code, rec.Body)
	}
	g.release(1)
	if r.obs.get("echo refused") != 1 || r.obs.get("echo served") != 3 {
		t.Errorf("counted %v, want 1 refused and 3 served", r.obs.n)
	}
	if g.inflight != 0 || g.used != 0 {
		t.Errorf("budget not returned: %d calls, %d bytes", g.inflight, g.used)
	}
}

// TestColdServeSecrets: the function's Kubernetes Secrets appear read-only
// at /var/openfaas/secrets in the provider's sandbox, a changed Secret is
// seen by the next call, and deleting the function removes the copies. A
// function without secrets has no secrets directory, so no filesystem, as
// its pods have no secrets volume; nor has one whose update dropped them,
// and its copies are removed.
func TestColdServeSecrets(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	ctx := context.Background()
	if err := r.b.CreateSecret(ctx, provider.Secret{Name: "api-key", Value: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "secret in the cache", func() bool {
		_, err := r.b.secrets.Secrets(provider.DefaultNamespace).Get("api-key")
		return err == nil
	})
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo"), Secrets: []string{"api-key"}})
	if _, code, body, _ := r.call(t, "echo", "/secret/api-key"); code != http.StatusOK || body != "s3cret" {
		t.Fatalf("secret read by the function: %d %q", code, body)
	}
	if err := r.b.UpdateSecret(ctx, provider.Secret{Name: "api-key", Value: "rotated"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new value served", func() bool {
		_, code, body, _ := r.call(t, "echo", "/secret/api-key")
		return code == http.StatusOK && body == "rotated"
	})
	dir := filepath.Join(r.dir, "secrets", provider.DefaultNamespace, "echo")
	if fi, err := os.Stat(filepath.Join(dir, "api-key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret copy: %v %v, want a 0600 file", fi, err)
	}
	if err := r.b.Delete(ctx, "echo", ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "secret copies removed with the function", func() bool {
		_, err := os.Stat(dir)
		return errors.Is(err, os.ErrNotExist)
	})

	const noFS = "open /var/openfaas/secrets: Bad file number"
	deployed(t, r.b, provider.FunctionDeployment{Service: "plain", Image: r.image("echo")})
	if _, code, body, _ := r.call(t, "plain", "/secrets"); code != http.StatusNotFound || body != noFS {
		t.Errorf("function without secrets: %d %q, want 404 %q", code, body, noFS)
	}
	if _, err := os.Stat(filepath.Join(r.dir, "secrets", provider.DefaultNamespace, "plain")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secrets directory of a function without secrets: %v, want none", err)
	}
	deployed(t, r.b, provider.FunctionDeployment{Service: "dropped", Image: r.image("echo"), Secrets: []string{"api-key"}})
	if _, code, body, _ := r.call(t, "dropped", "/secrets"); code != http.StatusOK || body != "api-key\n" {
		t.Fatalf("function with secrets: %d %q", code, body)
	}
	if err := r.b.Update(ctx, provider.FunctionDeployment{Service: "dropped", Image: r.image("echo"), EnvVars: map[string]string{"v": "2"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no filesystem after an update dropped the secrets", func() bool {
		_, code, body, _ := r.call(t, "dropped", "/secrets")
		return code == http.StatusNotFound && body == noFS
	})
	if _, err := os.Stat(filepath.Join(r.dir, "secrets", provider.DefaultNamespace, "dropped")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("secret copies after an update dropped the secrets: %v, want none", err)
	}
}

// TestColdServeLimits: the function's wall-time limit and traps apply in
// the provider as in its pod: a guest that loops is stopped (504) and one
// that exits non-zero answers 500, and neither holds the budget after.
func TestColdServeLimits(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo")})
	h, err := r.b.Invoker(context.Background(), "echo", "")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/spin", nil).WithContext(ctx))
	if rec.Code != http.StatusGatewayTimeout {
		t.Errorf("looping guest: %d %q, want 504", rec.Code, rec.Body)
	}
	if _, code, _, _ := r.call(t, "echo", "/fail"); code != http.StatusInternalServerError {
		t.Errorf("failing guest: %d, want 500", code)
	}
	if _, code, _, _ := r.call(t, "echo", "/"); code != http.StatusCreated {
		t.Errorf("after the faults: %d, want 201", code)
	}
	if g := &r.b.cold.budget; g.inflight != 0 || g.used != 0 {
		t.Errorf("budget not returned: %d calls, %d bytes", g.inflight, g.used)
	}
}

// waitLoaded waits until the provider has loaded fn ahead of its first call.
func (r *coldRig) waitLoaded(t testing.TB, fn string) {
	t.Helper()
	// The first load compiles the module: allow for a slow machine.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(5 * time.Millisecond) {
		if _, err := r.b.cold.cfg.Runner.Handler(fn, provider.DefaultNamespace); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was not loaded ahead of its first call", fn)
		}
	}
}

// TestColdServeCachedModule: a function deployed with an image whose
// digest the provider has seen — here of a function since deleted — is
// loaded and answers its first call without a pull: the registry sees one
// HEAD of the manifest and nothing else.
func TestColdServeCachedModule(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	ctx := context.Background()
	deployed(t, r.b, provider.FunctionDeployment{Service: "first", Image: r.image("echo")})
	r.waitLoaded(t, "first")
	if err := r.b.Delete(ctx, "first", ""); err != nil {
		t.Fatal(err)
	}
	r.requests.Reset()
	deployed(t, r.b, provider.FunctionDeployment{Service: "second", Image: r.image("echo")})
	r.waitLoaded(t, "second")
	if _, code, body, _ := r.call(t, "second", "/"); code != http.StatusCreated || !strings.HasPrefix(body, "GREETING=") {
		t.Fatalf("first call of second: %d %q", code, body)
	}
	if r.requests.Count("HEAD manifest") != 1 || r.requests.Count("GET manifest") != 0 || r.requests.Count("GET blob") != 0 {
		t.Fatalf("deploy of a cached image sent %s, want one HEAD of the manifest", r.requests)
	}
}

// TestColdServeSignedPrecompiled: the Kubernetes cold path loads a Wasm
// image's precompiled layer instead of compiling its module only when a
// key the provider trusts (--trusted-build-key) signed it for this module
// and this engine's fingerprint; signed by another key, or for another
// engine, the layer is ignored and the module compiled. Every function
// answers its first call from the provider.
func TestColdServeSignedPrecompiled(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(nil)
	_, otherKey, _ := ed25519.GenerateKey(nil)
	r := newColdRigRunner(t, ColdServe{}, []local.Option{local.WithTrustedBuildKeys(precompiled.NewKeyRing(pub))})
	builder, err := wasm.NewEngine(t.TempDir(), wasm.WithPooling(false))
	if err != nil {
		t.Fatal(err)
	}
	defer builder.Close()
	run := strconv.FormatInt(time.Now().UnixNano(), 10) // new module digests, also for -count=N
	cases := []struct {
		name   string
		key    ed25519.PrivateKey
		engine string
		loaded bool
	}{
		{"trusted", key, wasm.Fingerprint(), true},
		{"other-key", otherKey, wasm.Fingerprint(), false},
		{"other-engine", key, "faas-wasm-engine/1 wasmtime-go@v1.0.0 linux/amd64", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			module := ocitest.WithCustomSection(buildEcho(t), "signed", tc.name+run)
			data, err := builder.Precompile(module)
			if err != nil {
				t.Fatal(err)
			}
			img, err := oci.WasmImage(module, oci.FormOCILayer)
			if err != nil {
				t.Fatal(err)
			}
			c := precompiled.Sign(tc.key, precompiled.Digest(module), tc.engine, data)
			if img, err = oci.AddPrecompiled(img, oci.Precompiled{Data: data, Engine: c.Engine, Module: c.Module,
				KeyID: c.KeyID, Signature: c.Signature}); err != nil {
				t.Fatal(err)
			}
			misses := r.loads.misses.Load()
			deployed(t, r.b, provider.FunctionDeployment{Service: tc.name, Image: r.pushImage(t, tc.name, img)})
			r.waitLoaded(t, tc.name)
			if _, code, body, _ := r.call(t, tc.name, "/"); code != http.StatusCreated || !strings.HasPrefix(body, "GREETING=") {
				t.Fatalf("first call: %d %q", code, body)
			}
			want := int32(1)
			if tc.loaded {
				want = 0
			}
			if compiled := r.loads.misses.Load() - misses; compiled != want {
				t.Errorf("the provider compiled %d modules for this deploy, want %d (precompiled layer loaded: %v)", compiled, want, tc.loaded)
			}
		})
	}
}

// TestColdServePlanOncePerDeploy: the function's annotations and limits
// are read once per version of its spec, not per call; an update is seen.
func TestColdServePlanOncePerDeploy(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	ctx := context.Background()
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo")})
	plan := func() *coldPlan { return r.plan("echo") }
	first := plan()
	for range 3 {
		if _, err := handlerOf(r.b, "echo"); err != nil {
			t.Fatal(err)
		}
	}
	if p := plan(); p != first || !p.ok {
		t.Fatalf("calls worked the plan out again (%p, then %p) or refused it", first, p)
	}
	if err := r.b.Update(ctx, provider.FunctionDeployment{Service: "echo", Image: r.image("echo"),
		Annotations: map[string]string{provider.AnnotationColdServe: "false"}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the update's opt-out applied", func() bool {
		_, err := handlerOf(r.b, "echo")
		return errors.Is(err, provider.ErrUnavailable)
	})
	if p := plan(); p == first || p.ok {
		t.Fatalf("plan after the update: %+v", p)
	}
}

// BenchmarkColdDeployFirstCall measures, in the provider alone (fake API
// server, real engine, loopback registry), deploy -> first answer served by
// the provider: of a Wasm function whose image digest is cached (one HEAD
// to resolve the tag, no pull, no compile), and of one whose module is new
// (pulled and compiled: the echo module with a custom section naming the
// iteration). Run with -benchtime=10x.
func BenchmarkColdDeployFirstCall(b *testing.B) {
	r := newColdRig(b, ColdServe{})
	module := buildEcho(b)
	ctx := context.Background()
	seq := 0
	first := func(b *testing.B, image string) {
		seq++
		name := fmt.Sprintf("fn-%d", seq)
		if err := r.b.Deploy(ctx, provider.FunctionDeployment{Service: name, Image: image}); err != nil {
			b.Fatal(err)
		}
		for {
			if h, err := r.b.Invoker(ctx, name, ""); err == nil {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
				if rec.Code == http.StatusCreated {
					break
				}
			}
			time.Sleep(time.Millisecond)
		}
		b.StopTimer()
		if err := r.b.Delete(ctx, name, ""); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	first(b, r.image("echo")) // compiles the echo module once
	b.Run("cached", func(b *testing.B) {
		for b.Loop() {
			first(b, r.image("echo"))
		}
	})
	b.Run("new-digest", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			image := r.push(b, fmt.Sprintf("echo-%d", seq), ocitest.WithCustomSection(module, "bench", fmt.Sprint(seq)))
			b.StartTimer()
			first(b, image)
		}
	})
}

// blockingRunner is a ColdRunner whose loads wait until release is closed
// (a slow pull and compile); it serves nothing.
type blockingRunner struct {
	started chan struct{} // one value per load started
	release chan struct{}
}

func (r *blockingRunner) Load(ctx context.Context, _ provider.FunctionDeployment, _ string, _ func(string, string)) error {
	r.started <- struct{}{}
	select {
	case <-r.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *blockingRunner) Handler(string, string) (http.Handler, error) {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) }), nil
}

func (r *blockingRunner) Unload(context.Context, string, string) error { return nil }

// waitStarted waits for the next load to start.
func (r *blockingRunner) waitStarted(t testing.TB) {
	t.Helper()
	select {
	case <-r.started:
	case <-time.After(10 * time.Second):
		t.Fatal("no load started")
	}
}

// newBlockingRig starts a backend over a fake clientset whose calls without
// a ready pod are served by a blockingRunner within budget (its Runner and
// Dir are set here); loads are released at the end of the test.
func newBlockingRig(t testing.TB, budget ColdServe) (*fake.Clientset, *Cluster, *blockingRunner) {
	t.Helper()
	runner := &blockingRunner{started: make(chan struct{}, 16), release: make(chan struct{})}
	budget.Runner, budget.Dir = runner, filepath.Join(t.TempDir(), "secrets")
	c := newFake()
	b := newBackend(t, c, WithColdServe(budget),
		WithImageInspector(func(context.Context, string) (string, error) { return provider.RuntimeWasm, nil }))
	t.Cleanup(func() {
		select {
		case <-runner.release:
		default:
			close(runner.release)
		}
	})
	return c, b, runner
}

// TestColdCallTakesPodReadyDuringLoad: a call that arrives while the
// function's module is still loading (pull + compile) goes to a pod that
// becomes ready meanwhile instead of waiting for the load; the load goes
// on, and once the pod is gone again calls are served by the provider. On
// the old code the call waited for the load.
func TestColdCallTakesPodReadyDuringLoad(t *testing.T) {
	c, b, runner := newBlockingRig(t, ColdServe{Concurrency: 4, Memory: 1 << 30, DefaultMemory: wasm.DefaultMemoryLimit})
	deployed(t, b, provider.FunctionDeployment{Service: "echo", Image: "registry.invalid/fn/echo:1"})
	runner.waitStarted(t)

	got := invokeAsync(context.Background(), b, "echo")
	select {
	case r := <-got:
		t.Fatalf("Invoker returned %T, %v while the module loads and no pod is ready; want it to wait", r.h, r.err)
	case <-time.After(200 * time.Millisecond):
	}
	ip, port := replica(t, "pod1")
	setEndpoints(t, c, "echo", port, map[string]bool{ip: true})
	var r invokeResult
	select {
	case r = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the call kept waiting for the module although a pod became ready")
	}
	if _, cold := r.h.(*coldCall); r.err != nil || cold {
		t.Fatalf("Invoker = %T, %v; want the pods' proxy", r.h, r.err)
	}
	rec := httptest.NewRecorder()
	r.h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	if rec.Code != http.StatusOK || rec.Body.String() != "pod1 /x" {
		t.Fatalf("call: %d %q, want the pod's answer", rec.Code, rec.Body)
	}

	// The load went on; with the pod gone, calls are the provider's again.
	close(runner.release)
	setEndpoints(t, c, "echo", port, map[string]bool{ip: false})
	eventually(t, "calls served by the provider after the load", func() bool {
		h, err := handlerOf(b, "echo")
		_, cold := h.(*coldCall)
		return err == nil && cold
	})
	if n := len(runner.started); n != 0 {
		t.Errorf("%d more loads started, want the one load shared", n)
	}
}

// registryLookups undoes the test backends' WithImageInspector: deploys
// inspect and pin images in their (loopback) registry, as in production.
func registryLookups(o *options) { o.inspect, o.resolve = nil, nil }

// TestColdServeMovedTag: a redeploy of the same spec after its tag moved to
// a new module loads the new module for the calls the provider serves (the
// pods' image is pinned to the new digest, so the version changed). On the
// old code the spec was the same, so the old module kept answering and the
// registry saw no pull.
func TestColdServeMovedTag(t *testing.T) {
	r := newColdRig(t, ColdServe{}, registryLookups)
	ctx := context.Background()
	fn := provider.FunctionDeployment{Service: "echo", Image: r.image("echo")}
	deployed(t, r.b, fn)
	r.waitLoaded(t, "echo")
	if _, code, _, _ := r.call(t, "echo", "/"); code != http.StatusCreated {
		t.Fatalf("first version: %d", code)
	}
	first := r.plan("echo").spec.Image

	ref := r.push(t, "echo", ocitest.WithCustomSection(buildEcho(t), "version", "2"))
	_, pinned, err := oci.Resolve(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	r.requests.Reset()
	if err := r.b.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new digest in the cache", func() bool {
		d, err := r.b.deployments.Deployments(provider.DefaultNamespace).Get("echo")
		return err == nil && d.Spec.Template.Spec.Containers[0].Image == pinned
	})
	if _, code, _, _ := r.call(t, "echo", "/"); code != http.StatusCreated {
		t.Fatalf("after the tag moved: %d", code)
	}
	if got := r.plan("echo").spec.Image; got != pinned || got == first {
		t.Errorf("provider serves %s, want the new digest %s (was %s)", got, pinned, first)
	}
	if r.requests.Count("GET blob") == 0 {
		t.Errorf("the moved tag's module was not pulled: registry saw %s", r.requests)
	}
}

// TestColdServeMemoryLimit: the provider gives a module the linear memory
// its pod's runner gives it under the function's limit
// (runspec.LinearMemoryLimit: 64Mi leaves 32 MiB), not the whole limit, so
// a call that would fail in the pod fails here too.
func TestColdServeMemoryLimit(t *testing.T) {
	r := newColdRig(t, ColdServe{})
	deployed(t, r.b, provider.FunctionDeployment{Service: "echo", Image: r.image("echo"),
		Limits: &provider.FunctionResources{Memory: "64Mi"}})
	if _, code, body, _ := r.call(t, "echo", "/alloc/8"); code != http.StatusOK || body != "allocated 8 MiB" {
		t.Errorf("8 MiB under a 64Mi limit: %d %q, want 200", code, body)
	}
	_, code, body, _ := r.call(t, "echo", "/alloc/40")
	if code != http.StatusInternalServerError || !strings.Contains(body, "memory limit") || !strings.Contains(body, "of 33554432 bytes") {
		t.Errorf("40 MiB under a 64Mi limit: %d %q, want 500 for the 32 MiB a pod's runner gives", code, body)
	}
	if g := &r.b.cold.budget; g.inflight != 0 || g.used != 0 {
		t.Errorf("budget not returned: %d calls, %d bytes", g.inflight, g.used)
	}
}
