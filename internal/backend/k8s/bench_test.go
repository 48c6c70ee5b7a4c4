package k8s

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/faas-wasm/faas-wasm/provider"
)

// functionsBackend returns a backend whose cache holds n functions.
func functionsBackend(b *testing.B, n int) *Cluster {
	b.Helper()
	objs := make([]runtime.Object, 0, n)
	for i := range n {
		fn, _, err := normalize(provider.FunctionDeployment{
			Service: fmt.Sprintf("fn-%04d", i), Image: "127.0.0.1:5000/aes:1", EnvProcess: "./handler",
			EnvVars:     map[string]string{"a": "1", "write_debug": "true"},
			Labels:      map[string]string{provider.LabelScaleMin: "1", "team": "bench"},
			Annotations: map[string]string{"topic": "bench"},
			Limits:      &provider.FunctionResources{Memory: "128Mi", CPU: "500m"},
		}, provider.DefaultNamespace, 20)
		if err != nil {
			b.Fatal(err)
		}
		d, err := buildDeployment(fn, fn.Image, provider.RuntimeContainer, "faas-wasm", 1)
		if err != nil {
			b.Fatal(err)
		}
		d.CreationTimestamp = metav1.NewTime(time.Now())
		objs = append(objs, d)
	}
	return newBackend(b, newFake(objs...))
}

// BenchmarkFunctions measures GET /system/functions at the backend: a list
// of n functions from the informer cache (the goal is ≤ 50 ms at 1,000).
func BenchmarkFunctions(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			be := functionsBackend(b, n)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				l, err := be.Functions(ctx, "")
				if err != nil || len(l) != n {
					b.Fatalf("Functions: %d, %v", len(l), err)
				}
			}
		})
	}
}

// BenchmarkFunction measures one status read (gateways poll it every 100 ms
// while scaling from zero).
func BenchmarkFunction(b *testing.B) {
	be := functionsBackend(b, 1000)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := be.Function(ctx, "fn-0500", ""); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkInvoke measures a call through a function's proxy to a loopback
// replica against the same call made directly (the proxy's own cost: the
// endpoint lookup in the EndpointSlice cache, counting and reverse proxying).
func BenchmarkInvoke(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	b.Cleanup(srv.Close)
	host, p, _ := net.SplitHostPort(srv.Listener.Addr().String())
	port, _ := strconv.Atoi(p)
	c := newFake()
	be := newBackend(b, c)
	deployed(b, be, provider.FunctionDeployment{Service: "f", Image: "img:1"})
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: "f-1", Namespace: provider.DefaultNamespace, Labels: map[string]string{
			discoveryv1.LabelServiceName: "f", LabelManagedBy: ManagedBy}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(port))}},
		Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{host}}},
	}
	if _, err := c.DiscoveryV1().EndpointSlices(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	eventually(b, "endpoint", func() bool { return len(be.endpoints("f", provider.DefaultNamespace)) == 1 })
	h, err := be.Invoker(context.Background(), "f", "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("direct", func(b *testing.B) {
		client := &http.Client{Transport: newTransport()}
		for b.Loop() {
			resp, err := client.Get(srv.URL + "/")
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("proxy", func(b *testing.B) {
		for b.Loop() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			if rec.Code != 200 {
				b.Fatal(rec.Code)
			}
		}
	})
}
