package k8s

import (
	"context"
	"fmt"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Scale sets a function's replica count through the Deployment's scale
// subresource. Values above com.openfaas.scale.max (and the backend's
// maximum) are clamped; 0 scales the function to zero.
//
// # Errors
// provider.ErrNotFound if the function does not exist;
// provider.ErrUnavailable when the API server cannot be reached.
func (b *Cluster) Scale(ctx context.Context, name, namespace string, replicas uint64) error {
	ns := b.nsOrDefault(namespace)
	d, err := b.ownDeployment(ctx, name, ns)
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	maxReplicas := b.opts.maxReplicas
	if fn, err := specOf(d); err == nil {
		if _, m, err := provider.ScaleBounds(fn.Labels, b.opts.maxReplicas); err == nil {
			maxReplicas = m
		}
	}
	replicas = min(replicas, maxReplicas)
	if err := b.setScale(ctx, name, ns, int32(replicas)); err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	b.log.Info("function scaled", "function", name, "namespace", ns, "replicas", replicas)
	return nil
}

// setScale writes the scale subresource unconditionally.
func (b *Cluster) setScale(ctx context.Context, name, ns string, replicas int32) error {
	s := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	s, err := b.client.AppsV1().Deployments(ns).UpdateScale(ctx, name, s, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return apiError(err)
	}
	b.awaitCache(ctx, "deployment "+ns+"/"+name, s.ResourceVersion, b.cachedDeployment(ns, name))
	return nil
}
