package local

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Namespaces lists the function namespaces, sorted.
func (b *Host) Namespaces(context.Context) ([]string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]string, 0, len(b.namespaces))
	for name, n := range b.namespaces {
		if !n.deleting {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// Namespace returns one function namespace.
//
// # Errors
// provider.ErrNotFound if it does not exist.
func (b *Host) Namespace(_ context.Context, name string) (provider.FunctionNamespace, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	n, ok := b.namespace(name)
	if !ok {
		return provider.FunctionNamespace{}, fmt.Errorf("namespace %q: %w", name, provider.ErrNotFound)
	}
	return copyNamespace(n.meta), nil
}

// CreateNamespace makes a new, empty function namespace.
//
// # Errors
// provider.ErrAlreadyExists if it exists; provider.ErrInvalid for a bad name.
func (b *Host) CreateNamespace(_ context.Context, ns provider.FunctionNamespace) error {
	if err := provider.ValidateName("namespace", ns.Name); err != nil {
		return fmt.Errorf("create namespace: %w", err)
	}
	ns = copyNamespace(ns)
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.namespaces[ns.Name]; ok {
		return fmt.Errorf("create namespace %q (it exists or is being deleted): %w", ns.Name, provider.ErrAlreadyExists)
	}
	if err := writeJSON(b.namespacePath(ns.Name), ns); err != nil {
		return fmt.Errorf("create namespace %q: %w", ns.Name, err)
	}
	b.namespaces[ns.Name] = &namespace{meta: ns, functions: map[string]*function{}, secrets: map[string]struct{}{}}
	b.log.Info("namespace created", "namespace", ns.Name)
	return nil
}

// UpdateNamespace replaces a namespace's labels and annotations.
//
// # Errors
// provider.ErrNotFound if it does not exist.
func (b *Host) UpdateNamespace(_ context.Context, ns provider.FunctionNamespace) error {
	ns = copyNamespace(ns)
	b.mu.Lock()
	defer b.mu.Unlock()
	n, ok := b.namespace(ns.Name)
	if !ok {
		return fmt.Errorf("update namespace %q: %w", ns.Name, provider.ErrNotFound)
	}
	if err := writeJSON(b.namespacePath(ns.Name), ns); err != nil {
		return fmt.Errorf("update namespace %q: %w", ns.Name, err)
	}
	n.meta = ns
	return nil
}

// DeleteNamespace removes a namespace with its functions and secrets.
//
// # Errors
// provider.ErrNotFound if it does not exist; provider.ErrInvalid for the
// default namespace.
func (b *Host) DeleteNamespace(ctx context.Context, name string) error {
	if name == provider.DefaultNamespace || name == b.opts.namespace {
		return fmt.Errorf("delete namespace %q: the default namespace cannot be deleted: %w", name, provider.ErrInvalid)
	}
	b.mu.Lock()
	n, ok := b.namespace(name)
	if !ok {
		b.mu.Unlock()
		return fmt.Errorf("delete namespace %q: %w", name, provider.ErrNotFound)
	}
	// From here on the namespace is invisible but its name stays taken until
	// everything in it is gone, so nothing new can land in what is removed.
	n.deleting = true
	fns := maps.Clone(n.functions)
	b.mu.Unlock()
	for fname, f := range fns {
		f.op.Lock()
		b.dropFunction(ctx, f, fname, name)
		f.op.Unlock()
	}
	var err error
	for _, dir := range []string{"functions", "secrets", "mounts"} {
		err = errors.Join(err, os.RemoveAll(filepath.Join(b.dir, dir, name)))
	}
	err = errors.Join(err, removeFile(b.namespacePath(name)))
	b.mu.Lock()
	delete(b.namespaces, name)
	b.mu.Unlock()
	if err != nil {
		return fmt.Errorf("delete namespace %q: %w", name, err)
	}
	b.log.Info("namespace deleted", "namespace", name, "functions", len(fns))
	return nil
}

func copyNamespace(ns provider.FunctionNamespace) provider.FunctionNamespace {
	ns.Labels = maps.Clone(ns.Labels)
	ns.Annotations = maps.Clone(ns.Annotations)
	return ns
}
