package k8s

import (
	"context"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Function returns one function's status from the informer cache (no API
// call). The status's maps and slices are shared with the cache: read them
// only: the deployed spec as stored on the Deployment, its replica counts,
// creation time and the invocations this provider has served.
//
// # Errors
// provider.ErrNotFound if the function or the namespace does not exist.
func (b *Cluster) Function(_ context.Context, name, namespace string) (provider.FunctionStatus, error) {
	ns := b.nsOrDefault(namespace)
	if err := b.knownNamespace(ns); err != nil {
		return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, err)
	}
	d, err := b.deployments.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) || (err == nil && !isFunction(d)) {
		return provider.FunctionStatus{}, fmt.Errorf("function %s.%s: %w", name, ns, provider.ErrNotFound)
	}
	if err != nil {
		return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, err)
	}
	return b.status(d), nil
}

// Functions lists a namespace's functions from the informer cache, sorted
// by name (an empty slice when none). The statuses' maps and slices are
// shared with the cache: read them only.
//
// # Errors
// provider.ErrNotFound for an unknown namespace.
func (b *Cluster) Functions(_ context.Context, namespace string) ([]provider.FunctionStatus, error) {
	ns := b.nsOrDefault(namespace)
	if err := b.knownNamespace(ns); err != nil {
		return nil, fmt.Errorf("list functions: %w", err)
	}
	ds, err := b.deployments.Deployments(ns).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list functions in %s: %w", ns, err)
	}
	out := make([]provider.FunctionStatus, 0, len(ds))
	for _, d := range ds {
		if isFunction(d) {
			out = append(out, b.status(d))
		}
	}
	slices.SortFunc(out, func(a, b provider.FunctionStatus) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// podImage is the image a function's pods run (pinned to its digest at the
// deploy, or as named; "" for a Deployment without containers).
func podImage(d *appsv1.Deployment) string {
	if cs := d.Spec.Template.Spec.Containers; len(cs) > 0 {
		return cs[0].Image
	}
	return ""
}

// isFunction reports whether a Deployment is a function faas-wasm manages;
// one being deleted is not any more.
func isFunction(d *appsv1.Deployment) bool {
	return d.Labels[LabelManagedBy] == ManagedBy && d.Labels[provider.LabelFunction] == d.Name && d.DeletionTimestamp == nil
}

// status builds a function's status from its cached Deployment. A
// Deployment whose spec annotation is unreadable is described from its
// object (image and labels) so it still shows up.
func (b *Cluster) status(d *appsv1.Deployment) provider.FunctionStatus {
	fn, err := b.cachedSpec(d)
	if err != nil {
		b.log.Warn("function spec unreadable; status from the Deployment", "err", err)
		fn = provider.FunctionDeployment{Service: d.Name, Namespace: d.Namespace,
			Labels: map[string]string{provider.LabelFunction: d.Name}}
		fn.Image = podImage(d)
	}
	st := provider.FunctionStatus{
		Name:                   d.Name,
		Image:                  fn.Image,
		Namespace:              d.Namespace,
		EnvProcess:             fn.EnvProcess,
		EnvVars:                fn.EnvVars,
		Constraints:            fn.Constraints,
		Secrets:                fn.Secrets,
		Labels:                 fn.Labels,
		Annotations:            fn.Annotations,
		Limits:                 fn.Limits,
		Requests:               fn.Requests,
		ReadOnlyRootFilesystem: fn.ReadOnlyRootFilesystem,
		AvailableReplicas:      uint64(max(d.Status.AvailableReplicas, 0)),
		CreatedAt:              d.CreationTimestamp.Time,
	}
	if st.Annotations == nil { // a function deployed without annotations: {} on the wire and here
		st.Annotations = map[string]string{}
	}
	if d.Spec.Replicas != nil {
		st.Replicas = uint64(max(*d.Spec.Replicas, 0))
	}
	return st
}

// decodedSpec is a Deployment's spec annotation and its decoded form.
type decodedSpec struct {
	raw string
	fn  provider.FunctionDeployment
}

// cachedSpec decodes a Deployment's spec annotation once per change: lists
// of 1,000 functions would otherwise spend most of their time in JSON.
// The returned maps and slices are shared: read them only.
func (b *Cluster) cachedSpec(d *appsv1.Deployment) (provider.FunctionDeployment, error) {
	key := d.Namespace + "/" + d.Name
	raw := d.Annotations[AnnotationSpec]
	if v, ok := b.specs.Load(key); ok && v.(*decodedSpec).raw == raw {
		return v.(*decodedSpec).fn, nil
	}
	fn, err := specOf(d)
	if err != nil {
		return fn, err
	}
	b.specs.Store(key, &decodedSpec{raw: raw, fn: fn})
	return fn, nil
}
