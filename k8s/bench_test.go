package k8s

import (
	"context"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/faas-wasm/faas-wasm/provider"
)

// functionsBackend returns a backend whose cache holds n functions.
func functionsBackend(b *testing.B, n int) *Backend {
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
		d, err := buildDeployment(fn, provider.RuntimeContainer, "faas-wasm", 1)
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
