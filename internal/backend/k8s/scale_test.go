package k8s

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/testclock"
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

func TestIdleScaleToZero(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	clk := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	b := newBackend(t, c, WithClock(clk.Now))
	idle := map[string]string{provider.LabelScaleZero: "true", provider.LabelScaleZeroDuration: "10m"}
	deployed(t, b, provider.FunctionDeployment{Service: "idle", Image: "img:1", Labels: idle})
	deployed(t, b, provider.FunctionDeployment{Service: "busy", Image: "img:1", Labels: idle})
	deployed(t, b, provider.FunctionDeployment{Service: "always", Image: "img:1"})
	replicas := func(name string) int32 {
		d, _ := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, name, metav1.GetOptions{})
		return *d.Spec.Replicas
	}
	steps := []struct {
		name    string
		advance time.Duration
		use     string
		want    map[string]int32
	}{
		{"before the idle time", 9 * time.Minute, "busy", map[string]int32{"idle": 1, "busy": 1, "always": 1}},
		{"idle after 10m, busy was used", 2 * time.Minute, "", map[string]int32{"idle": 0, "busy": 1, "always": 1}},
		{"busy idle too", 10 * time.Minute, "", map[string]int32{"idle": 0, "busy": 0, "always": 1}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			clk.Advance(s.advance)
			if s.use != "" {
				b.stats.touch(provider.DefaultNamespace, s.use, clk.Now())
			}
			b.scaleIdle(ctx)
			for name, want := range s.want {
				if got := replicas(name); got != want {
					t.Errorf("%s replicas = %d, want %d", name, got, want)
				}
			}
			eventually(t, "cache", func() bool {
				st, _ := b.Function(ctx, "busy", "")
				return st.Replicas == uint64(s.want["busy"])
			})
		})
	}
}

func TestIdleLoopRuns(t *testing.T) {
	c := newFake()
	clk := testclock.New(time.Now())
	b := newBackend(t, c, WithClock(clk.Now), WithIdleInterval(10*time.Millisecond))
	deployed(t, b, provider.FunctionDeployment{Service: "f", Image: "img:1",
		Labels: map[string]string{provider.LabelScaleZero: "true", provider.LabelScaleZeroDuration: "1m"}})
	clk.Advance(2 * time.Minute)
	eventually(t, "scaled to zero by the loop", func() bool {
		st, err := b.Function(context.Background(), "f", "")
		return err == nil && st.Replicas == 0
	})
}
