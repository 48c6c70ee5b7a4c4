package k8s

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestScale(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c, WithMaxReplicas(10))
	deployed(t, b, provider.FunctionDeployment{Service: "f", Image: "img:1", Labels: map[string]string{provider.LabelScaleMax: "4"}})
	tests := []struct {
		name     string
		replicas uint64
		want     int32
	}{
		{"to two", 2, 2},
		{"to zero", 0, 0},
		{"clamped to scale.max", 9, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.Scale(ctx, "f", "", tt.replicas); err != nil {
				t.Fatal(err)
			}
			d, _ := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, "f", metav1.GetOptions{})
			if *d.Spec.Replicas != tt.want {
				t.Fatalf("replicas = %d, want %d", *d.Spec.Replicas, tt.want)
			}
			eventually(t, "status replicas", func() bool {
				st, err := b.Function(ctx, "f", "")
				return err == nil && st.Replicas == uint64(tt.want)
			})
		})
	}
	if err := b.Scale(ctx, "missing", "", 1); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Scale(missing) = %v, want ErrNotFound", err)
	}
}

// TestWakeFromZero: a Deployment at zero is scaled to the function's
// com.openfaas.scale.min (clamped by scale.max), one asking for replicas is
// left as it is, an unknown function is ErrNotFound.
func TestWakeFromZero(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	b := newBackend(t, c, WithMaxReplicas(10))
	deployed(t, b, provider.FunctionDeployment{Service: "f", Image: "img:1",
		Labels: map[string]string{provider.LabelScaleMin: "2", provider.LabelScaleMax: "4"}})
	for _, tt := range []struct {
		name string
		from uint64
		want int32
	}{
		{"at zero", 0, 2},
		{"scaled since", 3, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.Scale(ctx, "f", "", tt.from); err != nil {
				t.Fatal(err)
			}
			if err := b.WakeFromZero(ctx, "f", ""); err != nil {
				t.Fatal(err)
			}
			d, _ := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, "f", metav1.GetOptions{})
			if *d.Spec.Replicas != tt.want {
				t.Fatalf("replicas = %d, want %d", *d.Spec.Replicas, tt.want)
			}
		})
	}
	if err := b.WakeFromZero(ctx, "missing", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("WakeFromZero(missing) = %v, want ErrNotFound", err)
	}
}
