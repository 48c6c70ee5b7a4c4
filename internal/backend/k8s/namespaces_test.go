package k8s

import (
	"context"
	"errors"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestNamespaces(t *testing.T) {
	ctx := context.Background()
	plain := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}}
	c := newFake(plain)
	b := newBackend(t, c)
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"create", func() error {
			return b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "team-a", Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"x": "y"}})
		}, nil},
		{"create again", func() error { return b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "team-a"}) }, provider.ErrAlreadyExists},
		{"create over a plain namespace", func() error { return b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "kube-system"}) }, provider.ErrAlreadyExists},
		{"create bad name", func() error { return b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "A"}) }, provider.ErrInvalid},
		{"update", func() error {
			return b.UpdateNamespace(ctx, provider.FunctionNamespace{Name: "team-a", Labels: map[string]string{"team": "b"}})
		}, nil},
		{"update plain", func() error { return b.UpdateNamespace(ctx, provider.FunctionNamespace{Name: "kube-system"}) }, provider.ErrNotFound},
		{"delete default", func() error { return b.DeleteNamespace(ctx, provider.DefaultNamespace) }, provider.ErrInvalid},
		{"delete plain", func() error { return b.DeleteNamespace(ctx, "kube-system") }, provider.ErrNotFound},
		{"delete missing", func() error { return b.DeleteNamespace(ctx, "nope") }, provider.ErrNotFound},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); !errors.Is(err, s.want) || (s.want == nil && err != nil) {
				t.Fatalf("got %v, want %v", err, s.want)
			}
		})
	}
	eventually(t, "listed", func() bool {
		l, _ := b.Namespaces(ctx)
		return reflect.DeepEqual(l, []string{provider.DefaultNamespace, "team-a"})
	})
	eventually(t, "updated labels", func() bool {
		ns, err := b.Namespace(ctx, "team-a")
		return err == nil && reflect.DeepEqual(ns.Labels, map[string]string{"team": "b", LabelNamespace: "1"}) && ns.Annotations == nil
	})
	if _, err := b.Namespace(ctx, "kube-system"); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Namespace(kube-system) = %v, want ErrNotFound", err)
	}
	if err := b.Deploy(ctx, provider.FunctionDeployment{Service: "f", Image: "i:1", Namespace: "team-a"}); err != nil {
		t.Fatalf("deploy into the new namespace: %v", err)
	}
	if err := b.DeleteNamespace(ctx, "team-a"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "gone", func() bool {
		l, _ := b.Namespaces(ctx)
		return reflect.DeepEqual(l, []string{provider.DefaultNamespace})
	})
}

func TestDefaultNamespaceCreated(t *testing.T) {
	c := fake.NewClientset()
	b := newBackend(t, c, WithNamespace("fns"))
	ns, err := c.CoreV1().Namespaces().Get(context.Background(), "fns", metav1.GetOptions{})
	if err != nil || ns.Labels[LabelNamespace] != "1" {
		t.Fatalf("default namespace %v, %v", ns, err)
	}
	if l, _ := b.Namespaces(context.Background()); !reflect.DeepEqual(l, []string{"fns"}) {
		t.Errorf("Namespaces = %v", l)
	}
}
