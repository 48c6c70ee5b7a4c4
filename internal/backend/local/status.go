package local

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Function returns one function's status from memory; it does no I/O. The
// status's maps and slices are shared with the backend: read them only.
//
// # Errors
// provider.ErrNotFound if the function or the namespace does not exist.
func (b *Host) Function(_ context.Context, name, namespace string) (provider.FunctionStatus, error) {
	ns := b.nsOrDefault(namespace)
	b.mu.RLock()
	defer b.mu.RUnlock()
	f, err := b.lookup(name, ns)
	if err != nil {
		return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, err)
	}
	return b.status(f, name, ns), nil
}

// Functions lists a namespace's functions sorted by name (an empty slice
// when none); it does no I/O. The statuses' maps and slices are shared with
// the backend: read them only.
//
// # Errors
// provider.ErrNotFound for an unknown namespace.
func (b *Host) Functions(_ context.Context, namespace string) ([]provider.FunctionStatus, error) {
	ns := b.nsOrDefault(namespace)
	b.mu.RLock()
	defer b.mu.RUnlock()
	n, ok := b.namespace(ns)
	if !ok {
		return nil, fmt.Errorf("list functions: namespace %q: %w", ns, provider.ErrNotFound)
	}
	names := slices.Sorted(maps.Keys(n.functions))
	out := make([]provider.FunctionStatus, len(names))
	for i, name := range names {
		out[i] = b.status(n.functions[name], name, ns)
	}
	return out, nil
}

// status builds a function's status; the caller holds b.mu. The maps,
// slices and resources are the stored spec's own: specs are replaced whole,
// never changed in place, so sharing them is safe as long as callers only
// read them (the contract of Function and Functions).
func (b *Host) status(f *function, name, ns string) provider.FunctionStatus {
	s := &f.spec
	st := provider.FunctionStatus{
		Name:                   name,
		Image:                  s.Image,
		Namespace:              ns,
		EnvProcess:             s.EnvProcess,
		EnvVars:                s.EnvVars,
		Constraints:            s.Constraints,
		Secrets:                s.Secrets,
		Labels:                 s.Labels,
		Annotations:            s.Annotations,
		Limits:                 s.Limits,
		Requests:               s.Requests,
		ReadOnlyRootFilesystem: s.ReadOnlyRootFilesystem,
		Replicas:               f.replicas,
		CreatedAt:              f.createdAt,
	}
	if st.Annotations == nil { // a function deployed without annotations: {} on the wire and here
		st.Annotations = map[string]string{}
	}
	if r, err := b.driver(f.runtime); err == nil && f.loadErr == nil {
		_, st.AvailableReplicas = r.Replicas(name, ns)
	}
	return st
}
