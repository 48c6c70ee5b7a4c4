package k8s

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/util/retry"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Secrets lists the secrets faas-wasm manages in a namespace, from the
// informer cache (which holds no values), sorted by name.
//
// # Errors
// provider.ErrNotFound for an unknown namespace.
func (b *Cluster) Secrets(_ context.Context, namespace string) ([]provider.SecretRef, error) {
	ns := b.nsOrDefault(namespace)
	if err := b.knownNamespace(ns); err != nil {
		return nil, fmt.Errorf("list secrets: %w", err)
	}
	list, err := b.secrets.Secrets(ns).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("list secrets in %s: %w", ns, err)
	}
	out := make([]provider.SecretRef, 0, len(list))
	for _, s := range list {
		out = append(out, provider.SecretRef{Name: s.Name, Namespace: ns})
	}
	slices.SortFunc(out, func(a, b provider.SecretRef) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateSecret creates a Kubernetes Secret holding the value under a key
// named like the secret, so it is mounted as /var/openfaas/secrets/NAME.
//
// # Errors
// provider.ErrAlreadyExists if a Secret of that name exists;
// provider.ErrNotFound for an unknown namespace; provider.ErrInvalid for a bad name.
func (b *Cluster) CreateSecret(ctx context.Context, s provider.Secret) error {
	ns := b.nsOrDefault(s.Namespace)
	if err := provider.ValidateName("secret", s.Name); err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	if err := b.writableNamespace(ctx, ns); err != nil {
		return fmt.Errorf("create secret %s: %w", s.Name, err)
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: ns, Labels: map[string]string{LabelManagedBy: ManagedBy}},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{s.Name: s.Data()},
	}
	created, err := b.client.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("create secret %s: %w", s.Name, apiError(err))
	}
	b.awaitCache(ctx, "secret "+ns+"/"+s.Name, created.ResourceVersion, b.cachedSecret(ns, s.Name))
	b.log.Info("secret created", "secret", s.Name, "namespace", ns)
	return nil
}

// UpdateSecret replaces the value of a secret faas-wasm manages. Pods see
// the new value when the kubelet refreshes the mount (within about a minute).
//
// # Errors
// provider.ErrNotFound if the secret does not exist or is not managed by faas-wasm.
func (b *Cluster) UpdateSecret(ctx context.Context, s provider.Secret) error {
	ns := b.nsOrDefault(s.Namespace)
	var updated *corev1.Secret
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := b.ownSecret(ctx, s.Name, ns)
		if err != nil {
			return err
		}
		next := cur.DeepCopy()
		next.Data = map[string][]byte{s.Name: s.Data()}
		next.StringData = nil
		updated, err = b.client.CoreV1().Secrets(ns).Update(ctx, next, metav1.UpdateOptions{FieldManager: FieldManager})
		return err
	})
	if err != nil {
		return fmt.Errorf("update secret %s: %w", s.Name, apiError(err))
	}
	b.awaitCache(ctx, "secret "+ns+"/"+s.Name, updated.ResourceVersion, b.cachedSecret(ns, s.Name))
	b.log.Info("secret updated", "secret", s.Name, "namespace", ns)
	return nil
}

// DeleteSecret deletes a secret faas-wasm manages.
//
// # Errors
// provider.ErrNotFound if the secret does not exist or is not managed by faas-wasm.
func (b *Cluster) DeleteSecret(ctx context.Context, name, namespace string) error {
	ns := b.nsOrDefault(namespace)
	cur, err := b.ownSecret(ctx, name, ns)
	if err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	err = b.client.CoreV1().Secrets(ns).Delete(ctx, name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &cur.UID}})
	if err != nil {
		return fmt.Errorf("delete secret %s: %w", name, apiError(err))
	}
	b.awaitCache(ctx, "secret "+ns+"/"+name, "", b.cachedSecret(ns, name))
	b.log.Info("secret deleted", "secret", name, "namespace", ns)
	return nil
}

// ownSecret reads a secret from the API server.
//
// # Errors
// provider.ErrNotFound when it does not exist or is not managed by faas-wasm.
func (b *Cluster) ownSecret(ctx context.Context, name, ns string) (*corev1.Secret, error) {
	s, err := b.client.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, apiError(err)
	}
	if s.Labels[LabelManagedBy] != ManagedBy {
		return nil, fmt.Errorf("secret %s/%s is not managed by faas-wasm: %w", ns, name, provider.ErrNotFound)
	}
	return s, nil
}
