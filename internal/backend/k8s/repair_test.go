package k8s

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/provider"
)

// TestRestoresMissingService: a function left half-written — its
// Deployment created, the provider killed before its Service — gets its
// Service back when a provider starts, without any API call.
func TestRestoresMissingService(t *testing.T) {
	ctx := context.Background()
	c := newFake()
	first := newBackend(t, c)
	deployed(t, first, provider.FunctionDeployment{Service: "half", Image: "img:1"})
	first.Close(ctx)
	services := c.CoreV1().Services(provider.DefaultNamespace)
	if err := services.Delete(ctx, "half", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	newBackend(t, c)
	eventually(t, "the Service restored", func() bool {
		svc, err := services.Get(ctx, "half", metav1.GetOptions{})
		return err == nil && svc.Labels[LabelManagedBy] == ManagedBy && svc.Spec.Selector[provider.LabelFunction] == "half"
	})
}
