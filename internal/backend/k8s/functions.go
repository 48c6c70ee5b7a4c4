package k8s

import (
	"context"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Deploy creates a function's Deployment and ClusterIP Service with
// com.openfaas.scale.min replicas (default 1). A Wasm function (annotation
// com.openfaas.runtime=wasm, or a Wasm image) gets the backend's RuntimeClass.
// The pods run the image pinned to the digest its tag names at the deploy
// (repo@sha256:...), so that a later deploy or update after the tag moved
// changes the pod template and rolls the pods; the function's status keeps
// the image as deployed. When the provider cannot resolve it, the pods run
// the image as named.
// Without the annotation the image is inspected in its registry; when the
// provider cannot read it (the cluster may pull from where the provider
// cannot), it is deployed as a container and a pull failure shows in the
// function's logs and in Invoker's error.
//
// # Errors
// provider.ErrAlreadyExists if the function exists or a Deployment or
// Service of that name that faas-wasm does not manage is in the way;
// provider.ErrNotFound for an unknown namespace or secret; provider.ErrInvalid
// for unusable fields; provider.ErrUnavailable when the API server cannot be reached.
func (b *Cluster) Deploy(ctx context.Context, fn provider.FunctionDeployment) error {
	ns := b.nsOrDefault(fn.Namespace)
	d, err := b.prepare(ctx, fn, ns)
	if err != nil {
		return fmt.Errorf("deploy %s: %w", fn.Service, err)
	}
	b.rec.begin(ns + "/" + fn.Service)
	defer b.rec.end(ns + "/" + fn.Service)
	created, err := b.client.AppsV1().Deployments(ns).Create(ctx, d, metav1.CreateOptions{FieldManager: FieldManager})
	if apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("deploy %s: %w", fn.Service, b.clash(ctx, fn.Service, ns))
	}
	if err != nil {
		return fmt.Errorf("deploy %s: %w", fn.Service, apiError(err))
	}
	b.preloadCold(created)
	if err := b.ensureService(ctx, created); err != nil {
		// Without its Service the function is unusable: take the Deployment back.
		_, derr := b.markDeleting(ctx, fn.Service, ns)
		if derr == nil {
			derr = b.client.AppsV1().Deployments(ns).Delete(ctx, fn.Service, metav1.DeleteOptions{
				Preconditions: &metav1.Preconditions{UID: &created.UID}})
		}
		if derr != nil && !apierrors.IsNotFound(derr) && !errors.Is(derr, provider.ErrNotFound) {
			b.log.Error("deployment of a failed deploy not removed", "function", fn.Service, "namespace", ns, "err", derr)
		}
		return fmt.Errorf("deploy %s: %w", fn.Service, err)
	}
	b.awaitCache(ctx, "deployment "+ns+"/"+fn.Service, created.ResourceVersion, b.cachedDeployment(ns, fn.Service))
	b.log.Info("function deployed", "function", fn.Service, "namespace", ns, "image", fn.Image,
		"runtime", created.Labels[LabelRuntime], "replicas", *created.Spec.Replicas)
	return nil
}

// Update replaces a function's Deployment spec, keeping its replica count
// (clamped to the new com.openfaas.scale.max; a function scaled to zero
// stays at zero). Pods are replaced by a rolling update
// that never drops below the ready replicas.
//
// # Errors
// provider.ErrNotFound if the function does not exist; otherwise as Deploy.
func (b *Cluster) Update(ctx context.Context, fn provider.FunctionDeployment) error {
	ns := b.nsOrDefault(fn.Namespace)
	if _, err := b.ownDeployment(ctx, fn.Service, ns); err != nil {
		return fmt.Errorf("update %s: %w", fn.Service, err)
	}
	want, err := b.prepare(ctx, fn, ns)
	if err != nil {
		return fmt.Errorf("update %s: %w", fn.Service, err)
	}
	_, maxReplicas, _ := provider.ScaleBounds(fn.Labels, b.opts.maxReplicas)
	b.rec.begin(ns + "/" + fn.Service)
	defer b.rec.end(ns + "/" + fn.Service)
	var updated *appsv1.Deployment
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := b.ownDeployment(ctx, fn.Service, ns)
		if err != nil {
			return err
		}
		if cur.Annotations[annotationDeleting] != "" {
			// Keep Delete's mark, or the reconcile loop would undo the deletion.
			return fmt.Errorf("function %s.%s is being deleted (delete it again if that failed): %w", fn.Service, ns, provider.ErrNotFound)
		}
		next := cur.DeepCopy()
		next.Labels, next.Annotations = want.Labels, want.Annotations
		replicas := min(int64(*cur.Spec.Replicas), int64(maxReplicas))
		next.Spec.Replicas = ptr(int32(replicas))
		next.Spec.Strategy = want.Spec.Strategy
		next.Spec.RevisionHistoryLimit = want.Spec.RevisionHistoryLimit
		next.Spec.Template = want.Spec.Template
		updated, err = b.client.AppsV1().Deployments(ns).Update(ctx, next, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return fmt.Errorf("update %s: %w", fn.Service, apiError(err))
	}
	if err := b.ensureService(ctx, updated); err != nil {
		return fmt.Errorf("update %s: %w", fn.Service, err)
	}
	if *updated.Spec.Replicas == 0 {
		b.preloadCold(updated)
	}
	b.awaitCache(ctx, "deployment "+ns+"/"+fn.Service, updated.ResourceVersion, b.cachedDeployment(ns, fn.Service))
	b.log.Info("function updated", "function", fn.Service, "namespace", ns, "image", fn.Image)
	return nil
}

// Delete marks a function's Deployment as deleted on purpose (annotation
// faas-wasm/deleting, so the reconcile loop does not create it again), then
// removes its Service at once and the Deployment in the foreground: the Deployment stays, marked as being deleted, until its pods
// are gone. Meanwhile the function is no longer listed or invocable, and a
// deploy of the same name is refused (ErrAlreadyExists) rather than letting
// the old pods answer for the new function.
//
// # Errors
// provider.ErrNotFound if the function does not exist (or its Deployment is
// not managed by faas-wasm).
func (b *Cluster) Delete(ctx context.Context, name, namespace string) error {
	ns := b.nsOrDefault(namespace)
	d, err := b.markDeleting(ctx, name, ns)
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	policy := metav1.DeletePropagationForeground
	err = b.client.AppsV1().Deployments(ns).Delete(ctx, name, metav1.DeleteOptions{
		PropagationPolicy: &policy,
		Preconditions:     &metav1.Preconditions{UID: &d.UID},
	})
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, apiError(err))
	}
	svc, err := b.client.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	if err == nil && svc.Labels[LabelManagedBy] == ManagedBy {
		err = b.client.CoreV1().Services(ns).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &svc.UID}})
	}
	if err != nil && !apierrors.IsNotFound(err) {
		// The Service is owned by the Deployment: the garbage collector removes it anyway.
		b.log.Warn("function service not deleted", "function", name, "namespace", ns, "err", err)
	}
	b.awaitCache(ctx, "deployment "+ns+"/"+name, "", b.cachedDeployment(ns, name))
	b.log.Info("function deleted", "function", name, "namespace", ns)
	return nil
}

// markDeleting annotates a function's Deployment as deleted on purpose
// (annotationDeleting), so the reconcile loop lets it go, and returns it.
//
// # Errors
// As ownDeployment; API errors of the update.
func (b *Cluster) markDeleting(ctx context.Context, name, ns string) (*appsv1.Deployment, error) {
	var d *appsv1.Deployment
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := b.ownDeployment(ctx, name, ns)
		if err != nil {
			return err
		}
		cur = cur.DeepCopy()
		if cur.Annotations == nil {
			cur.Annotations = map[string]string{}
		}
		cur.Annotations[annotationDeleting] = "true"
		d, err = b.client.AppsV1().Deployments(ns).Update(ctx, cur, metav1.UpdateOptions{FieldManager: FieldManager})
		return apiError(err)
	})
	return d, err
}

// prepare checks a deployment request against the cluster and builds its
// Deployment.
func (b *Cluster) prepare(ctx context.Context, fn provider.FunctionDeployment, ns string) (*appsv1.Deployment, error) {
	if err := b.writableNamespace(ctx, ns); err != nil {
		return nil, err
	}
	fn, minReplicas, err := normalize(fn, ns, b.opts.maxReplicas)
	if err != nil {
		return nil, err
	}
	for _, s := range fn.Secrets {
		if _, err := b.client.CoreV1().Secrets(ns).Get(ctx, s, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("secret %q: %w", s, apiError(err))
		}
	}
	runtime, image := fn.Annotations[provider.AnnotationRuntime], ""
	if runtime == "" {
		if runtime, image, err = b.opts.inspect(ctx, fn.Image); err != nil {
			// The cluster pulls images, maybe from where the provider cannot:
			// run it as a container and let a pull failure show in status and logs.
			b.log.Warn("image not inspected; deploying as a container", "function", fn.Service, "image", fn.Image, "err", err)
			runtime = provider.RuntimeContainer
		}
	} else if image, err = b.opts.resolve(ctx, fn.Image); err != nil {
		b.log.Warn("image digest not resolved; the pods run the image as named (a moved tag will not roll them)",
			"function", fn.Service, "image", fn.Image, "err", err)
	}
	if image == "" {
		image = fn.Image
	}
	return buildDeployment(fn, image, runtime, b.opts.runtimeClass, int32(minReplicas))
}

// ensureService creates the function's Service when it is missing.
//
// # Errors
// provider.ErrAlreadyExists when a Service of that name is not managed by faas-wasm.
func (b *Cluster) ensureService(ctx context.Context, d *appsv1.Deployment) error {
	svc := buildService(d)
	_, err := b.client.CoreV1().Services(d.Namespace).Create(ctx, svc, metav1.CreateOptions{FieldManager: FieldManager})
	if !apierrors.IsAlreadyExists(err) {
		return apiError(err)
	}
	cur, err := b.client.CoreV1().Services(d.Namespace).Get(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		return apiError(err)
	}
	if cur.Labels[LabelManagedBy] != ManagedBy {
		return fmt.Errorf("service %s/%s exists and is not managed by faas-wasm (the function's Deployment stays without a Service): %w",
			d.Namespace, d.Name, provider.ErrAlreadyExists)
	}
	return nil
}

// clash explains why a Deployment could not be created.
func (b *Cluster) clash(ctx context.Context, name, ns string) error {
	cur, err := b.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err == nil && cur.Labels[LabelManagedBy] == ManagedBy && cur.DeletionTimestamp != nil {
		return fmt.Errorf("function %s.%s is still being deleted (its pods are stopping); deploy it again once it is gone: %w", name, ns, provider.ErrAlreadyExists)
	}
	if err == nil && cur.Labels[LabelManagedBy] != ManagedBy {
		return fmt.Errorf("deployment %s/%s exists and is not managed by faas-wasm; it is left untouched: %w", ns, name, provider.ErrAlreadyExists)
	}
	return fmt.Errorf("function %s.%s: %w", name, ns, provider.ErrAlreadyExists)
}

// ownDeployment reads a function's Deployment from the API server (not the
// cache: writes must see the newest state).
//
// # Errors
// provider.ErrNotFound when it does not exist or is not managed by faas-wasm.
func (b *Cluster) ownDeployment(ctx context.Context, name, ns string) (*appsv1.Deployment, error) {
	d, err := b.client.AppsV1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, apiError(err)
	}
	if d.DeletionTimestamp != nil && d.Labels[LabelManagedBy] == ManagedBy {
		return nil, fmt.Errorf("function %s.%s is being deleted: %w", name, ns, provider.ErrNotFound)
	}
	if !isFunction(d) {
		return nil, fmt.Errorf("deployment %s/%s is not a faas-wasm function: %w", ns, name, provider.ErrNotFound)
	}
	return d, nil
}

// nsOrDefault returns ns, or the default namespace when ns is empty.
func (b *Cluster) nsOrDefault(ns string) string {
	if ns == "" {
		return b.opts.namespace
	}
	return ns
}
