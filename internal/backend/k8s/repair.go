package k8s

import (
	"context"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// restoreServices gives every function Deployment without a Service its
// Service again. A provider killed between creating a function's Deployment
// and its Service leaves such a half-written function behind: listed, but
// unreachable. Functions that have EndpointSlices (so a Service) are
// skipped; for the others ensureService creates the Service or finds it.
// It runs once, in the background, after the caches have synced.
func (b *Cluster) restoreServices(ctx context.Context) {
	all, err := b.deployments.List(labels.Everything())
	if err != nil {
		return
	}
	for _, d := range all {
		if ctx.Err() != nil {
			return
		}
		if !isFunction(d) || b.hasSlices(d) {
			continue
		}
		if err := b.restoreService(ctx, d); err != nil {
			b.log.Warn("function service not restored", "function", d.Name, "namespace", d.Namespace, "err", err)
		}
	}
}

// hasSlices reports whether the cache holds an EndpointSlice of d's Service.
func (b *Cluster) hasSlices(d *appsv1.Deployment) bool {
	objs, err := b.slices.ByIndex(indexService, d.Namespace+"/"+d.Name)
	return err == nil && len(objs) > 0
}

// restoreService creates d's Service when it is missing and logs it.
func (b *Cluster) restoreService(ctx context.Context, d *appsv1.Deployment) error {
	_, err := b.client.CoreV1().Services(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return apiError(err)
	}
	if err := b.ensureService(ctx, d); err != nil {
		return err
	}
	b.log.Info("function service restored (the function was left half-written)", "function", d.Name, "namespace", d.Namespace)
	return nil
}
