package k8s

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

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
	replicas = b.clampReplicas(d, replicas)
	if err := b.setScale(ctx, name, ns, int32(replicas), ""); err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	b.log.Info("function scaled", "function", name, "namespace", ns, "replicas", replicas)
	return nil
}

// WakeFromZero scales a function whose Deployment still asks for zero
// replicas to provider.WakeReplicas of its labels (clamped as Scale clamps)
// and leaves one that asks for any other count alone: a scale written since
// a call found the function at zero (a client's, the autoscaler's) wins over
// the wake-up. The write is conditional on the Deployment's
// resourceVersion, read again after a conflict.
//
// # Errors
// As Scale's.
func (b *Cluster) WakeFromZero(ctx context.Context, name, namespace string) error {
	ns := b.nsOrDefault(namespace)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		d, err := b.ownDeployment(ctx, name, ns)
		if err != nil || d.Spec.Replicas == nil || *d.Spec.Replicas != 0 {
			return err
		}
		fn, err := specOf(d)
		if err != nil {
			return err
		}
		n := b.clampReplicas(d, provider.WakeReplicas(fn.Labels))
		if err := b.setScale(ctx, name, ns, int32(n), d.ResourceVersion); err != nil {
			return err
		}
		b.log.Info("function scaled", "function", name, "namespace", ns, "replicas", n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("scale %s from zero: %w", name, err)
	}
	return nil
}

// clampReplicas bounds replicas by the function's com.openfaas.scale.max
// and the backend's maximum.
func (b *Cluster) clampReplicas(d *appsv1.Deployment, replicas uint64) uint64 {
	maxReplicas := b.opts.maxReplicas
	if fn, err := specOf(d); err == nil {
		if _, m, err := provider.ScaleBounds(fn.Labels, b.opts.maxReplicas); err == nil {
			maxReplicas = m
		}
	}
	return min(replicas, maxReplicas)
}

// setScale writes the scale subresource: unconditionally when
// resourceVersion is "", else only over that version of the Deployment
// (a Conflict error otherwise).
func (b *Cluster) setScale(ctx context.Context, name, ns string, replicas int32, resourceVersion string) error {
	s := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: resourceVersion},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	s, err := b.client.AppsV1().Deployments(ns).UpdateScale(ctx, name, s, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return apiError(err)
	}
	b.awaitCache(ctx, "deployment "+ns+"/"+name, s.ResourceVersion, b.cachedDeployment(ns, name))
	return nil
}
