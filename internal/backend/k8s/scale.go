package k8s

import (
	"context"
	"fmt"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/faas-wasm/faas-wasm/internal/idle"
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
	if replicas > 0 {
		b.stats.touch(ns, name, b.opts.now())
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

// idleLoop scales to zero, every idle interval, the functions labelled
// com.openfaas.scale.zero=true that were not called for their
// com.openfaas.scale.zero-duration (default 15m). A function this provider
// has never seen called counts as used when the provider first sees it.
func (b *Cluster) idleLoop(ctx context.Context) {
	defer close(b.idleDone)
	idle.Loop(ctx, b.opts.idleInterval, b.scaleIdle)
}

// scaleIdle scales every idle function to zero once.
func (b *Cluster) scaleIdle(ctx context.Context) {
	ds, err := b.deployments.List(labels.Everything())
	if err != nil {
		b.log.Error("idle scan", "err", err)
		return
	}
	now := b.opts.now()
	for _, d := range ds {
		if d.Spec.Replicas == nil || *d.Spec.Replicas == 0 || !isFunction(d) {
			continue
		}
		fn, err := specOf(d)
		if err != nil {
			continue
		}
		after, err := provider.ScaleToZeroAfter(fn.Labels)
		if err != nil || after <= 0 {
			continue
		}
		s := b.stats.get(d.Namespace, d.Name, now)
		if !idle.Due(after, uint64(*d.Spec.Replicas), s.inflight.Load(), time.Unix(0, s.lastUsed.Load()), now) {
			continue
		}
		if err := b.setScale(ctx, d.Name, d.Namespace, 0); err != nil {
			b.log.Error("idle scale to zero", "function", d.Name, "namespace", d.Namespace, "err", err)
			continue
		}
		b.log.Info("function idle; scaled to zero", "function", d.Name, "namespace", d.Namespace, "after", after)
	}
}
