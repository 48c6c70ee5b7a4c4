package k8s

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/faas-wasm/faas-wasm/provider"
)

// replica is a real loopback HTTP server standing in for a function pod.
func replica(t *testing.T, name string) (ip string, port int32) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Replica", name)
		io.WriteString(w, name+" "+r.URL.RequestURI())
	}))
	t.Cleanup(srv.Close)
	host, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return host, int32(n)
}

// setEndpoints writes the EndpointSlice of a function as the endpoint
// slice controller would: the Service's labels, one endpoint per address.
func setEndpoints(t *testing.T, c *fake.Clientset, fn string, port int32, ready map[string]bool) {
	t.Helper()
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: fn + "-abc", Namespace: provider.DefaultNamespace, Labels: map[string]string{
			discoveryv1.LabelServiceName: fn, LabelManagedBy: ManagedBy, provider.LabelFunction: fn}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: &port}},
	}
	for ip, r := range ready {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr(r)}})
	}
	ctx := context.Background()
	if _, err := c.DiscoveryV1().EndpointSlices(s.Namespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		if _, err := c.DiscoveryV1().EndpointSlices(s.Namespace).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInvoker(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c)
	deployed(t, b, provider.FunctionDeployment{Service: "echo", Image: "img:1"})

	t.Run("unknown function", func(t *testing.T) {
		if _, err := b.Invoker(ctx, "nope", ""); !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("Invoker = %v, want ErrNotFound", err)
		}
	})
	t.Run("no ready endpoint", func(t *testing.T) {
		if _, err := b.Invoker(ctx, "echo", ""); !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("Invoker = %v, want ErrUnavailable", err)
		}
	})
	ip, port := replica(t, "r1")
	setEndpoints(t, c, "echo", port, map[string]bool{ip: true, "127.0.0.9": false})
	eventually(t, "ready endpoint", func() bool {
		_, err := b.Invoker(ctx, "echo", "")
		return err == nil
	})
	t.Run("proxies path and query", func(t *testing.T) {
		h, err := b.Invoker(ctx, "echo", "")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sub/path?x=1", nil))
			if rec.Code != 200 || rec.Body.String() != "r1 /sub/path?x=1" {
				t.Fatalf("call %d: %d %q", i, rec.Code, rec.Body.String())
			}
		}
		st, _ := b.Function(ctx, "echo", "")
		if st.InvocationCount != 3 {
			t.Errorf("invocationCount = %v, want 3", st.InvocationCount)
		}
	})
	t.Run("endpoint gone between Invoker and call", func(t *testing.T) {
		h, _ := b.Invoker(ctx, "echo", "")
		setEndpoints(t, c, "echo", port, map[string]bool{ip: false})
		eventually(t, "no ready endpoint", func() bool { return len(b.endpoints("echo", provider.DefaultNamespace)) == 0 })
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d, want 503", rec.Code)
		}
	})
	t.Run("unreachable replica is 502", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		host, p, _ := net.SplitHostPort(dead.Listener.Addr().String())
		dead.Close()
		n, _ := strconv.Atoi(p)
		setEndpoints(t, c, "echo", int32(n), map[string]bool{host: true})
		eventually(t, "endpoint", func() bool { return len(b.endpoints("echo", provider.DefaultNamespace)) == 1 })
		h, err := b.Invoker(ctx, "echo", "")
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusBadGateway {
			t.Fatalf("status %d, want 502", rec.Code)
		}
	})
}

func TestInvokerRoundRobin(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c)
	deployed(t, b, provider.FunctionDeployment{Service: "rr", Image: "img:1"})
	// Two replicas on one port: one server listening on 127.0.0.1 and one on 127.0.0.2.
	var port int32
	seen := map[string]int{}
	for _, ip := range []string{"127.0.0.1", "127.0.0.2"} {
		addr := ip + ":0"
		if port != 0 {
			addr = ip + ":" + strconv.Itoa(int(port))
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("listen %s: %v", addr, err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, ip) }), ReadHeaderTimeout: time.Second}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		_, p, _ := net.SplitHostPort(ln.Addr().String())
		n, _ := strconv.Atoi(p)
		port = int32(n)
	}
	setEndpoints(t, c, "rr", port, map[string]bool{"127.0.0.1": true, "127.0.0.2": true})
	eventually(t, "two endpoints", func() bool { return len(b.endpoints("rr", provider.DefaultNamespace)) == 2 })
	h, err := b.Invoker(ctx, "rr", "")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		seen[rec.Body.String()]++
	}
	if seen["127.0.0.1"] != 5 || seen["127.0.0.2"] != 5 {
		t.Fatalf("calls per replica = %v, want 5 each", seen)
	}
}

func TestInvokerNamesWaitingReason(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c)
	deployed(t, b, provider.FunctionDeployment{Service: "bad", Image: "127.0.0.1:1/missing:1"})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "bad-1", Namespace: provider.DefaultNamespace, Labels: map[string]string{
			provider.LabelFunction: "bad", LabelManagedBy: ManagedBy}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{
			Name: "bad", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff", Message: "Back-off pulling image"}},
		}}},
	}
	if _, err := c.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pod in cache", func() bool { return b.waitingReasons("bad", provider.DefaultNamespace) != "" })
	_, err := b.Invoker(ctx, "bad", "")
	if !errors.Is(err, provider.ErrUnavailable) {
		t.Fatalf("Invoker = %v, want ErrUnavailable", err)
	}
	if want := "pod bad-1: ImagePullBackOff: Back-off pulling image"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %q", err, want)
	}
}
