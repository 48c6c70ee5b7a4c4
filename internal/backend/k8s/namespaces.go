package k8s

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/faas-wasm/faas-wasm/provider"
)

// labelMetadataName is the label Kubernetes adds to every namespace.
const labelMetadataName = "kubernetes.io/metadata.name"

// Namespaces lists the function namespaces, sorted: those labelled
// openfaas=1 and not terminating, and always the default one.
func (b *Cluster) Namespaces(context.Context) ([]string, error) {
	list, err := b.namespaces.List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	out := []string{b.opts.namespace}
	for _, n := range list {
		if n.Status.Phase != corev1.NamespaceTerminating && n.Name != b.opts.namespace {
			out = append(out, n.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Namespace returns one function namespace with its labels (without the
// kubernetes.io/metadata.name label Kubernetes adds) and annotations.
//
// # Errors
// provider.ErrNotFound if it does not exist or is not a function namespace.
func (b *Cluster) Namespace(ctx context.Context, name string) (provider.FunctionNamespace, error) {
	n, err := b.namespaces.Get(name)
	if apierrors.IsNotFound(err) && name == b.opts.namespace {
		n, err = b.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
		err = apiError(err)
	}
	if apierrors.IsNotFound(err) || (err == nil && n.Status.Phase == corev1.NamespaceTerminating) {
		return provider.FunctionNamespace{}, fmt.Errorf("namespace %q: %w", name, provider.ErrNotFound)
	}
	if err != nil {
		return provider.FunctionNamespace{}, fmt.Errorf("namespace %q: %w", name, err)
	}
	l := maps.Clone(n.Labels)
	delete(l, labelMetadataName)
	return provider.FunctionNamespace{Name: n.Name, Labels: l, Annotations: maps.Clone(n.Annotations)}, nil
}

// CreateNamespace creates a Kubernetes namespace labelled openfaas=1 with
// the given labels and annotations.
//
// # Errors
// provider.ErrAlreadyExists if a namespace of that name exists (function
// namespace or not); provider.ErrInvalid for a bad name or label.
func (b *Cluster) CreateNamespace(ctx context.Context, ns provider.FunctionNamespace) error {
	if err := provider.ValidateName("namespace", ns.Name); err != nil {
		return fmt.Errorf("create namespace: %w", err)
	}
	created, err := b.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns.Name, Labels: namespaceLabels(ns.Labels), Annotations: maps.Clone(ns.Annotations),
	}}, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("create namespace %q: %w", ns.Name, apiError(err))
	}
	b.awaitCache(ctx, "namespace "+ns.Name, created.ResourceVersion, b.cachedNamespace(ns.Name))
	b.log.Info("namespace created", "namespace", ns.Name)
	return nil
}

// UpdateNamespace replaces a function namespace's labels (openfaas=1 is
// kept) and annotations.
//
// # Errors
// provider.ErrNotFound if it does not exist or is not a function namespace.
func (b *Cluster) UpdateNamespace(ctx context.Context, ns provider.FunctionNamespace) error {
	cur, err := b.ownNamespace(ctx, ns.Name)
	if err != nil {
		return fmt.Errorf("update namespace %q: %w", ns.Name, err)
	}
	next := cur.DeepCopy()
	next.Labels = namespaceLabels(ns.Labels)
	next.Labels[labelMetadataName] = ns.Name
	next.Annotations = maps.Clone(ns.Annotations)
	updated, err := b.client.CoreV1().Namespaces().Update(ctx, next, metav1.UpdateOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("update namespace %q: %w", ns.Name, apiError(err))
	}
	b.awaitCache(ctx, "namespace "+ns.Name, updated.ResourceVersion, b.cachedNamespace(ns.Name))
	return nil
}

// DeleteNamespace deletes a function namespace and everything in it (the
// namespace controller removes its objects; it disappears from Namespaces at once).
//
// # Errors
// provider.ErrNotFound if it does not exist or is not a function namespace;
// provider.ErrInvalid for the default namespace.
func (b *Cluster) DeleteNamespace(ctx context.Context, name string) error {
	if name == b.opts.namespace {
		return fmt.Errorf("delete namespace %q: the default namespace cannot be deleted: %w", name, provider.ErrInvalid)
	}
	cur, err := b.ownNamespace(ctx, name)
	if err != nil {
		return fmt.Errorf("delete namespace %q: %w", name, err)
	}
	err = b.client.CoreV1().Namespaces().Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}})
	if err != nil {
		return fmt.Errorf("delete namespace %q: %w", name, apiError(err))
	}
	b.awaitCache(ctx, "namespace "+name, "", b.cachedNamespace(name))
	b.log.Info("namespace deleted", "namespace", name)
	return nil
}

// ownNamespace reads a function namespace from the API server.
//
// # Errors
// provider.ErrNotFound when it does not exist, is terminating or is not labelled openfaas=1.
func (b *Cluster) ownNamespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	n, err := b.client.CoreV1().Namespaces().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, apiError(err)
	}
	if (n.Labels[LabelNamespace] != "1" && name != b.opts.namespace) || n.Status.Phase == corev1.NamespaceTerminating {
		return nil, fmt.Errorf("namespace %q is not a function namespace: %w", name, provider.ErrNotFound)
	}
	return n, nil
}

// knownNamespace checks in the cache that ns is a function namespace.
//
// # Errors
// provider.ErrNotFound when it is not.
func (b *Cluster) knownNamespace(ns string) error {
	if ns == b.opts.namespace {
		return nil
	}
	n, err := b.namespaces.Get(ns)
	if err != nil || n.Status.Phase == corev1.NamespaceTerminating {
		return fmt.Errorf("namespace %q is not a function namespace: %w", ns, provider.ErrNotFound)
	}
	return nil
}

// writableNamespace checks that ns is a function namespace before a write:
// in the cache, or else at the API server (a namespace created a moment ago
// may not have reached the cache yet).
//
// # Errors
// provider.ErrNotFound when it is not; provider.ErrUnavailable when the API
// server cannot be asked.
func (b *Cluster) writableNamespace(ctx context.Context, ns string) error {
	if b.knownNamespace(ns) == nil {
		return nil
	}
	_, err := b.ownNamespace(ctx, ns)
	return err
}

// ensureDefaultNamespace creates the default function namespace, or labels
// it openfaas=1 when it exists without the label.
func (b *Cluster) ensureDefaultNamespace(ctx context.Context) error {
	ns := b.opts.namespace
	if n, err := b.namespaces.Get(ns); err == nil && n.Labels[LabelNamespace] == "1" {
		return nil
	}
	_, err := b.client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: namespaceLabels(nil),
	}}, metav1.CreateOptions{FieldManager: FieldManager})
	if !apierrors.IsAlreadyExists(err) {
		return apiError(err)
	}
	patch := []byte(`{"metadata":{"labels":{"` + LabelNamespace + `":"1"}}}`)
	_, err = b.client.CoreV1().Namespaces().Patch(ctx, ns, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	return apiError(err)
}

// namespaceLabels returns user labels plus openfaas=1.
func namespaceLabels(user map[string]string) map[string]string {
	l := maps.Clone(user)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelNamespace] = "1"
	return l
}
