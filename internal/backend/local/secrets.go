package local

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Secrets lists a namespace's secrets by name, sorted; values are never returned.
//
// # Errors
// provider.ErrNotFound for an unknown namespace.
func (b *Host) Secrets(_ context.Context, namespace string) ([]provider.SecretRef, error) {
	ns := b.nsOrDefault(namespace)
	b.mu.RLock()
	defer b.mu.RUnlock()
	n, ok := b.namespace(ns)
	if !ok {
		return nil, fmt.Errorf("list secrets: namespace %q: %w", ns, provider.ErrNotFound)
	}
	out := make([]provider.SecretRef, 0, len(n.secrets))
	for name := range n.secrets {
		out = append(out, provider.SecretRef{Name: name, Namespace: ns})
	}
	slices.SortFunc(out, func(a, b provider.SecretRef) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CreateSecret stores a new secret in a file readable only by the provider.
//
// # Errors
// provider.ErrAlreadyExists if it exists; provider.ErrNotFound for an unknown
// namespace; provider.ErrInvalid for a bad name.
func (b *Host) CreateSecret(_ context.Context, s provider.Secret) error {
	ns := b.nsOrDefault(s.Namespace)
	if err := provider.ValidateName("secret", s.Name); err != nil {
		return fmt.Errorf("create secret: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.namespace(ns)
	if !ok {
		return fmt.Errorf("create secret %s: namespace %q: %w", s.Name, ns, provider.ErrNotFound)
	}
	if _, ok := n.secrets[s.Name]; ok {
		return fmt.Errorf("create secret %s in namespace %q: %w", s.Name, ns, provider.ErrAlreadyExists)
	}
	if err := atomicWrite(b.secretPath(s.Name, ns), s.Data(), 0o600); err != nil {
		return fmt.Errorf("create secret %s: %w", s.Name, err)
	}
	n.secrets[s.Name] = struct{}{}
	b.log.Info("secret created", "secret", s.Name, "namespace", ns)
	return nil
}

// UpdateSecret replaces a secret's value. Functions using it see the new
// value from their next request on.
//
// # Errors
// provider.ErrNotFound if the secret or the namespace does not exist.
func (b *Host) UpdateSecret(_ context.Context, s provider.Secret) error {
	ns := b.nsOrDefault(s.Namespace)
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.secretNamespace(s.Name, ns)
	if err != nil {
		return fmt.Errorf("update secret %s: %w", s.Name, err)
	}
	if err := atomicWrite(b.secretPath(s.Name, ns), s.Data(), 0o600); err != nil {
		return fmt.Errorf("update secret %s: %w", s.Name, err)
	}
	b.log.Info("secret updated", "secret", s.Name, "namespace", ns)
	return b.refreshMounts(n, ns, s.Name)
}

// DeleteSecret removes a secret; functions using it no longer see it.
//
// # Errors
// provider.ErrNotFound if the secret or the namespace does not exist.
func (b *Host) DeleteSecret(_ context.Context, name, namespace string) error {
	ns := b.nsOrDefault(namespace)
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.secretNamespace(name, ns)
	if err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	if err := removeFile(b.secretPath(name, ns)); err != nil {
		return fmt.Errorf("delete secret %s: %w", name, err)
	}
	delete(n.secrets, name)
	b.log.Info("secret deleted", "secret", name, "namespace", ns)
	return b.refreshMounts(n, ns, name)
}

// secretNamespace finds the namespace holding a secret; the caller holds b.mu.
func (b *Host) secretNamespace(name, ns string) (*namespace, error) {
	n, ok := b.namespace(ns)
	if !ok {
		return nil, fmt.Errorf("namespace %q: %w", ns, provider.ErrNotFound)
	}
	if _, ok := n.secrets[name]; !ok {
		return nil, fmt.Errorf("secret %q in namespace %q: %w", name, ns, provider.ErrNotFound)
	}
	return n, nil
}

// refreshMounts rewrites the secret directory of every function using the
// secret; the caller holds b.mu.
func (b *Host) refreshMounts(n *namespace, ns, secret string) error {
	for name, f := range n.functions {
		if f.gone || !slices.Contains(f.spec.Secrets, secret) {
			continue
		}
		if err := b.writeMount(name, ns, f.spec.Secrets, n.secrets); err != nil {
			return fmt.Errorf("secret %s: %w", secret, err)
		}
	}
	return nil
}
