//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/faas-wasm/faas-wasm/internal/backend/k8s"
	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// cluster is what a test needs of the real cluster: an admin client, a
// loopback registry containerd pulls from, a pausable path to the API
// server for the provider, and a function namespace of its own.
type cluster struct {
	admin     kubernetes.Interface
	restCfg   *rest.Config
	api       *tcpProxy
	registry  string
	namespace string
	root      string
	// user is who the provider acts as: bound to internal/backend/k8s/rbac.yaml only.
	user string
}

// newCluster skips the test without FAAS_WASM_KUBECONFIG; otherwise it
// starts a registry and an API server proxy, all stopped when the test ends.
func newCluster(t *testing.T, namespace string) *cluster {
	t.Helper()
	path := os.Getenv("FAAS_WASM_KUBECONFIG")
	if path == "" {
		t.Skip("FAAS_WASM_KUBECONFIG is not set: no cluster to test against (hack/cluster/up.sh)")
	}
	cfg, err := k8s.RESTConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{admin: admin, restCfg: cfg, namespace: namespace, root: root}
	c.registry = startRegistry(t, filepath.Dir(path))
	u, err := url.Parse(cfg.Host)
	if err != nil {
		t.Fatal(err)
	}
	c.api = startProxy(t, u.Host)
	c.user = "faas-wasm-e2e:" + namespace
	grantRBAC(t, admin, filepath.Join(root, "internal", "backend", "k8s", "rbac.yaml"), namespace, c.user)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin.CoreV1().Namespaces().Delete(ctx, namespace, metav1.DeleteOptions{}); err != nil {
			t.Logf("delete namespace %s: %v", namespace, err)
		}
	})
	return c
}

// providerConfig is the admin configuration routed through the pausable proxy.
func (c *cluster) providerConfig() *rest.Config {
	cfg := rest.CopyConfig(c.restCfg)
	u, _ := url.Parse(cfg.Host)
	cfg.TLSClientConfig.ServerName = u.Hostname()
	cfg.Host = "https://" + c.api.addr
	cfg.Impersonate = rest.ImpersonationConfig{UserName: c.user}
	return cfg
}

// grantRBAC creates the ClusterRole of rbac.yaml (under a name of the
// test's own) and binds it to user, so the provider runs with exactly the
// documented privileges. Both are deleted when the test ends.
func grantRBAC(t *testing.T, admin kubernetes.Interface, path, name, user string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	role.Name = name
	ctx := context.Background()
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		admin.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
}

// startRegistry serves an in-memory OCI registry on loopback and tells the
// cluster's containerd (hosts.toml under the cluster state directory) to
// pull from it over plain HTTP.
func startRegistry(t *testing.T, stateDir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0))), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host := ln.Addr().String()
	dir := filepath.Join(stateDir, "containerd", "certs.d", host)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hosts := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", "http://"+host, "http://"+host)
	if err := os.WriteFile(filepath.Join(dir, "hosts.toml"), []byte(hosts), 0o644); err != nil {
		t.Fatal(err)
	}
	return host
}

// pushFunction builds a stack.yml function's image as faas-wasm-tools build
// does — Go Wasm entries pre-initialised into the snapshot shape — and
// pushes it. opts are further builder options (e.g. builder.WithSignKey).
func (c *cluster) pushFunction(ctx context.Context, t *testing.T, name, tag string, opts ...builder.Option) string {
	t.Helper()
	return c.pushBuilt(ctx, t, name, tag, c.stackEntry(t, name), opts...)
}

// stackEntry returns stack.yml's entry name.
func (c *cluster) stackEntry(t *testing.T, name string) builder.Function {
	t.Helper()
	stack, err := builder.LoadStack(filepath.Join(c.root, "stack.yml"))
	if err != nil {
		t.Fatal(err)
	}
	f, ok := stack.Functions[name]
	if !ok {
		t.Fatalf("stack.yml has no function %s", name)
	}
	return f
}

// pushBuilt builds stack entry f (named name) and pushes it.
func (c *cluster) pushBuilt(ctx context.Context, t *testing.T, name, tag string, f builder.Function, opts ...builder.Option) string {
	t.Helper()
	a, err := builder.New(opts...).Build(ctx, c.root, name, f)
	if err != nil {
		t.Fatal(err)
	}
	return c.push(ctx, t, a.Img, name, tag)
}

// pushBinary builds main package pkg natively into a FROM-scratch image and pushes it.
func (c *cluster) pushBinary(ctx context.Context, t *testing.T, pkg, name, tag string) string {
	t.Helper()
	bin, err := builder.New().Native(ctx, c.root, pkg, "")
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.ContainerImage(bin, oci.ContainerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	return c.push(ctx, t, img, name, tag)
}

func (c *cluster) push(ctx context.Context, t *testing.T, img v1.Image, name, tag string) string {
	t.Helper()
	ref := c.registry + "/e2e/" + name + ":" + tag
	if _, err := oci.Push(ctx, img, ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// provider is the faas-wasm provider API served in-process with the
// Kubernetes backend, on a loopback port.
type provider struct {
	url     string
	backend *k8s.Cluster
	srv     *http.Server
}

// startProvider starts a provider talking to the cluster through the
// proxy, with the backend options opts.
func (c *cluster) startProvider(t *testing.T, opts ...k8s.Option) *provider {
	t.Helper()
	client, err := kubernetes.NewForConfig(c.providerConfig())
	if err != nil {
		t.Fatal(err)
	}
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	logger := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b, err := k8s.New(context.Background(), client, append([]k8s.Option{k8s.WithNamespace(c.namespace), k8s.WithLogger(logger)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	router := handlers.NewRouter(b, handlers.Config{DefaultNamespace: c.namespace, ScaleFromZeroTimeout: 90 * time.Second, Logger: logger})
	p := &provider{url: "http://" + ln.Addr().String(), backend: b, srv: &http.Server{Handler: router, ReadHeaderTimeout: 10 * time.Second}}
	go p.srv.Serve(ln)
	t.Cleanup(p.stop)
	return p
}

// stop stops serving and closes the backend; it is safe to call twice.
func (p *provider) stop() {
	p.srv.Close()
	p.backend.Close(context.Background())
}

// call sends a request to the provider and returns the status, headers and body.
func (p *provider) call(t *testing.T, method, path string, body any) (int, http.Header, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = strings.NewReader(string(data))
	}
	req, err := http.NewRequest(method, p.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(data)
}

// expect calls the provider and fails the test unless the status is want.
func (p *provider) expect(t *testing.T, want int, method, path string, body any) string {
	t.Helper()
	code, _, out := p.call(t, method, path, body)
	if code != want {
		t.Fatalf("%s %s = %d %q, want %d", method, path, code, out, want)
	}
	return out
}

// requireWasmShim skips the test unless FAAS_WASM_E2E_WASM=1 says the
// cluster runs the Wasm shim (hack/shim/cluster.sh) for Wasm pods.
func requireWasmShim(t *testing.T) {
	t.Helper()
	if os.Getenv("FAAS_WASM_E2E_WASM") != "1" {
		t.Skip("FAAS_WASM_E2E_WASM=1 is not set (needs the Wasm shim in the cluster: hack/shim/cluster.sh)")
	}
}

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > timeout {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
	return time.Since(start)
}

// tcpProxy forwards TCP connections to a target; paused, it drops every
// connection and refuses new ones, as an API server that is down would.
type tcpProxy struct {
	addr   string
	target string
	mu     sync.Mutex
	paused bool
	conns  map[net.Conn]struct{}
}

func startProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.setPaused(true)
	})
	return p
}

func (p *tcpProxy) serve(c net.Conn) {
	p.mu.Lock()
	if p.paused {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c] = struct{}{}
	p.mu.Unlock()
	defer p.drop(c)
	up, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	defer p.drop(up)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (p *tcpProxy) drop(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// setPaused pauses (dropping every open connection) or resumes the proxy.
func (p *tcpProxy) setPaused(paused bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.paused = paused
	if paused {
		for c := range p.conns {
			c.Close()
		}
	}
}

// testWriter sends provider logs to the test log until stopped.
type testWriter struct {
	t    *testing.T
	mu   sync.Mutex
	done bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(b), "\n"))
	}
	return len(b), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
