package k8s

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/faas-wasm/faas-wasm/provider"
)

// replica is a real loopback HTTP server standing in for a function pod.
func replica(t testing.TB, name string) (ip string, port int32) {
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
func setEndpoints(t testing.TB, c *fake.Clientset, fn string, port int32, ready map[string]bool) {
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
		// The backend counts nothing: invocationCount comes from package
		// metrics (one source of counts).
		if st, _ := b.Function(ctx, "echo", ""); st.InvocationCount != 0 {
			t.Errorf("invocationCount = %v from the backend, want 0", st.InvocationCount)
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
	// Regression (make e2e on 83a00a7, TestKubernetesColdWasm): a call
	// right after a scale to zero went to the pod still listed as ready
	// and answered 502 "connection refused" instead of waking the
	// function or being served by the provider.
	t.Run("scaled to zero: the endpoints left are not called", func(t *testing.T) {
		setEndpoints(t, c, "echo", port, map[string]bool{ip: true})
		eventually(t, "endpoint", func() bool { return len(b.endpoints("echo", provider.DefaultNamespace)) == 1 })
		before, err := b.Invoker(ctx, "echo", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Scale(ctx, "echo", "", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Invoker(ctx, "echo", ""); !errors.Is(err, provider.ErrUnavailable) {
			t.Fatalf("Invoker at zero replicas with a ready endpoint left = %v, want ErrUnavailable", err)
		}
		rec := httptest.NewRecorder()
		before.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d from a handler taken before the scale to zero, want 503", rec.Code)
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

// countingReplica serves on ip:port; cut, it closes each connection after
// reading the request (the request reached it, no answer came back).
type countingReplica struct {
	mu     sync.Mutex
	bodies []string
}

func (r *countingReplica) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies)
}

func listenReplica(t *testing.T, addr string, cut bool) (*countingReplica, int32) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen %s: %v", addr, err)
	}
	r := &countingReplica{}
	srv := &http.Server{ReadHeaderTimeout: time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, string(b))
		r.mu.Unlock()
		if cut {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		io.WriteString(w, "ok "+string(b))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	n, _ := strconv.Atoi(p)
	return r, int32(n)
}

// bodyReadingTransport reads one byte of the body of every request to
// host before handing it to the real transport.
type bodyReadingTransport struct {
	http.RoundTripper
	host string
}

func (tr bodyReadingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.URL.Hostname() == tr.host {
		req.Body.Read(make([]byte, 1))
	}
	return tr.RoundTripper.RoundTrip(req)
}

// TestInvokerRetriesFailedDial: with real loopback listeners on one port —
// a live replica on 127.0.0.1, nothing on 127.0.0.2 (connection refused)
// and a replica on 127.0.0.3 that drops every connection after reading the
// request — a refused call moves to another replica with its body intact,
// a call that reached a replica is never resent, and a body already read
// is not resent either.
func TestInvokerRetriesFailedDial(t *testing.T) {
	live, port := listenReplica(t, "127.0.0.1:0", false)
	cutter, _ := listenReplica(t, "127.0.0.3:"+strconv.Itoa(int(port)), true)
	for _, tc := range []struct {
		name      string
		endpoints []string
		transport http.RoundTripper
		// Of 10 GETs then 10 POSTs: how many answer 200 and how many
		// requests each replica sees.
		want200, liveGets, cutGets int
	}{
		{"refused dial goes to the live replica", []string{"127.0.0.1", "127.0.0.2"}, nil, 20, 20, 0},
		{"refused twice goes to the live replica", []string{"127.0.0.2", "127.0.0.4", "127.0.0.1"}, nil, 20, 20, 0},
		// Round robin over two replicas: every other call reaches the cutting one.
		{"a request that reached a replica is not resent", []string{"127.0.0.1", "127.0.0.3"}, nil, 10, 10, 10},
		{"every replica refuses", []string{"127.0.0.2", "127.0.0.4"}, nil, 0, 0, 0},
		// GETs have no body: all move on; every other POST meets the reading transport.
		{"a body already read is not resent", []string{"127.0.0.1", "127.0.0.2"},
			bodyReadingTransport{newTransport(), "127.0.0.2"}, 15, 15, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newFake()
			var opts []Option
			if tc.transport != nil {
				opts = append(opts, WithTransport(tc.transport))
			}
			b := newBackend(t, c, opts...)
			deployed(t, b, provider.FunctionDeployment{Service: "fn", Image: "img:1"})
			ready := map[string]bool{}
			for _, ip := range tc.endpoints {
				ready[ip] = true
			}
			setEndpoints(t, c, "fn", port, ready)
			eventually(t, "endpoints", func() bool { return len(b.endpoints("fn", provider.DefaultNamespace)) == len(tc.endpoints) })
			h, err := b.Invoker(context.Background(), "fn", "")
			if err != nil {
				t.Fatal(err)
			}
			liveBefore, cutBefore := len(live.got()), len(cutter.got())
			ok := 0
			for _, method := range []string{http.MethodGet, http.MethodPost} {
				for i := range 10 {
					body := ""
					if method == http.MethodPost {
						body = "payload-" + strconv.Itoa(i)
					}
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, httptest.NewRequest(method, "/", strings.NewReader(body)))
					switch rec.Code {
					case http.StatusOK:
						ok++
						if rec.Body.String() != "ok "+body {
							t.Errorf("%s %d answered %q, want %q", method, i, rec.Body.String(), "ok "+body)
						}
					case http.StatusBadGateway:
					default:
						t.Errorf("%s %d: status %d %q", method, i, rec.Code, rec.Body.String())
					}
				}
			}
			liveGot, cutGot := len(live.got())-liveBefore, len(cutter.got())-cutBefore
			if ok != tc.want200 || liveGot != tc.liveGets || cutGot != tc.cutGets {
				t.Errorf("%d calls answered 200, the live replica saw %d, the cutting one %d; want %d, %d, %d",
					ok, liveGot, cutGot, tc.want200, tc.liveGets, tc.cutGets)
			}
		})
	}
}
