package local

import (
	"context"
	"fmt"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Scale sets a function's replica count. Values above com.openfaas.scale.max
// are clamped to it; 0 unloads every replica (the compiled module stays
// cached, so scaling up again is fast). A function whose replicas could not
// be restored is started again.
//
// # Errors
// provider.ErrNotFound if the function does not exist; errors wrapping
// provider.ErrImage or provider.ErrNotImplemented when replicas cannot start.
func (b *Host) Scale(ctx context.Context, name, namespace string, replicas uint64) error {
	ns := b.nsOrDefault(namespace)
	f, err := b.lockFunction(name, ns)
	if err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	defer f.op.Unlock()
	if err := b.scaleLocked(ctx, f, name, ns, replicas); err != nil {
		return fmt.Errorf("scale %s: %w", name, err)
	}
	return nil
}

// WakeFromZero scales a function that asks for no replica to
// provider.WakeReplicas of its labels (clamped as Scale clamps) and leaves
// one that asks for any other count alone. It holds the function's
// operation lock like Scale, so a scale written after the caller saw the
// function at zero wins over the wake-up.
//
// # Errors
// As Scale's.
func (b *Host) WakeFromZero(ctx context.Context, name, namespace string) error {
	ns := b.nsOrDefault(namespace)
	f, err := b.lockFunction(name, ns)
	if err != nil {
		return fmt.Errorf("scale %s from zero: %w", name, err)
	}
	defer f.op.Unlock()
	b.mu.RLock()
	replicas, labels := f.replicas, f.spec.Labels
	b.mu.RUnlock()
	if replicas != 0 {
		return nil
	}
	if err := b.scaleLocked(ctx, f, name, ns, provider.WakeReplicas(labels)); err != nil {
		return fmt.Errorf("scale %s from zero: %w", name, err)
	}
	return nil
}

// scaleLocked scales f; the caller holds f.op.
func (b *Host) scaleLocked(ctx context.Context, f *function, name, ns string, replicas uint64) error {
	b.mu.RLock()
	replicas = min(replicas, f.max)
	spec, loadErr := f.spec, f.loadErr
	b.mu.RUnlock()
	var err error
	switch {
	case loadErr != nil && replicas == 0:
		// Nothing to start: record the count, keep the reason.
	case loadErr != nil:
		err = b.runFunction(ctx, f, name, ns, replicas, true)
	default:
		var r Driver
		if r, err = b.driver(f.runtime); err == nil {
			err = r.Scale(ctx, name, ns, replicas)
		}
	}
	if err != nil {
		return err
	}
	if err := b.saveFunction(f, name, ns, spec, replicas); err != nil {
		return err
	}
	b.mu.Lock()
	f.replicas = replicas
	if replicas > 0 {
		f.loadErr = nil
	}
	b.mu.Unlock()
	b.log.Info("function scaled", "function", name, "namespace", ns, "replicas", replicas)
	return nil
}
