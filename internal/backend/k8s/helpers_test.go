package k8s

import (
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// newFake returns a fake clientset holding objs (plus the default function
// namespace) that behaves like the API server where the fake tracker does
// not: every created or updated object gets a new resource version, and the
// deployments/scale subresource updates the Deployment's replicas (only over
// the Deployment's version the Scale names, if it names one: else Conflict)
// and answers with its new version.
func newFake(objs ...runtime.Object) *fake.Clientset {
	objs = append(objs, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: provider.DefaultNamespace, Labels: map[string]string{LabelNamespace: "1"}}})
	c := fake.NewClientset(objs...)
	var version atomic.Uint64
	next := func() string { return strconv.FormatUint(version.Add(1), 10) }
	for _, verb := range []string{"create", "update"} {
		c.PrependReactor(verb, "*", func(a k8stesting.Action) (bool, runtime.Object, error) {
			if o, ok := a.(interface{ GetObject() runtime.Object }); ok {
				if m, err := meta.Accessor(o.GetObject()); err == nil {
					m.SetResourceVersion(next())
				}
			}
			return false, nil, nil
		})
	}
	c.PrependReactor("update", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "scale" {
			return false, nil, nil
		}
		s := a.(k8stesting.UpdateAction).GetObject().(*autoscalingv1.Scale)
		obj, err := c.Tracker().Get(appsv1.SchemeGroupVersion.WithResource("deployments"), a.GetNamespace(), s.Name)
		if err != nil {
			return true, nil, err
		}
		d := obj.(*appsv1.Deployment).DeepCopy()
		if s.ResourceVersion != "" && s.ResourceVersion != d.ResourceVersion {
			return true, nil, apierrors.NewConflict(appsv1.Resource("deployments"), s.Name,
				fmt.Errorf("resourceVersion %s, the object is at %s", s.ResourceVersion, d.ResourceVersion))
		}
		d.Spec.Replicas = &s.Spec.Replicas
		d.ResourceVersion = next()
		if err := c.Tracker().Update(appsv1.SchemeGroupVersion.WithResource("deployments"), d, a.GetNamespace()); err != nil {
			return true, nil, err
		}
		s = s.DeepCopy()
		s.ResourceVersion = d.ResourceVersion
		return true, s, nil
	})
	return c
}

// newBackend starts a backend over c; it is closed when the test ends.
func newBackend(t testing.TB, c *fake.Clientset, opts ...Option) *Cluster {
	t.Helper()
	opts = append([]Option{
		WithImageInspector(func(context.Context, string) (string, error) { return provider.RuntimeContainer, nil }),
	}, opts...)
	b, err := New(context.Background(), c, opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { b.Close(context.Background()) })
	return b
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deployed deploys fn and waits until the cache shows it.
func deployed(t testing.TB, b *Cluster, fn provider.FunctionDeployment) {
	t.Helper()
	if err := b.Deploy(context.Background(), fn); err != nil {
		t.Fatalf("Deploy %s: %v", fn.Service, err)
	}
	eventually(t, fn.Service+" in the cache", func() bool {
		_, err := b.Function(context.Background(), fn.Service, fn.Namespace)
		return err == nil
	})
}
