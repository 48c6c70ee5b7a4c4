package local

import (
	"context"
	"fmt"
	"os"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Deploy creates a function: it checks the spec, picks the runtime (the
// com.openfaas.runtime annotation, else the image's kind), starts the first
// replicas (com.openfaas.scale.min, default 1) and persists the function. A
// failed deploy leaves nothing behind.
//
// # Errors
// provider.ErrAlreadyExists if the function exists, provider.ErrNotFound for
// an unknown namespace, provider.ErrInvalid for an unknown secret or unusable
// fields, provider.ErrImage when the image cannot be pulled or is not a
// usable function, provider.ErrNotImplemented for a container function
// without a container driver.
func (b *Host) Deploy(ctx context.Context, d provider.FunctionDeployment) error {
	ns := b.nsOrDefault(d.Namespace)
	spec, l, err := normalize(d, ns, b.opts.maxReplicas)
	if err != nil {
		return fmt.Errorf("deploy %s: %w", d.Service, err)
	}
	name, key := spec.Service, ns+"/"+spec.Service
	f := &function{spec: spec, createdAt: b.opts.now().UTC(), replicas: l.min, min: l.min, max: l.max,
		logs: newLogRing(b.opts.logLines)}

	b.mu.Lock()
	n, err := b.checkDeploy(spec, ns)
	if err == nil && (n.functions[name] != nil || b.pending[key]) {
		err = fmt.Errorf("function %q in namespace %q: %w", name, ns, provider.ErrAlreadyExists)
	}
	if err != nil {
		b.mu.Unlock()
		return fmt.Errorf("deploy %s: %w", name, err)
	}
	b.pending[key] = true
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.pending, key)
		b.mu.Unlock()
	}()

	if f.runtime, err = b.chooseRuntime(ctx, spec); err != nil {
		return fmt.Errorf("deploy %s: %w", name, err)
	}
	if err := b.startNew(ctx, f, name, ns); err != nil {
		return fmt.Errorf("deploy %s: %w", name, err)
	}
	b.mu.Lock()
	n, ok := b.namespace(ns)
	// Once the function is visible a concurrent Scale or Update writes
	// these under b.mu: read what the log line says under it too.
	replicas, runtime := f.replicas, f.runtime
	if ok {
		n.functions[name] = f
		b.resyncMount(n, f, name, ns)
	}
	b.mu.Unlock()
	if ok {
		b.log.Info("function deployed", "function", name, "namespace", ns, "runtime", runtime, "replicas", replicas)
		return nil
	}
	// The namespace was deleted while the function was starting.
	b.dropFunction(ctx, f, name, ns)
	return fmt.Errorf("deploy %s: namespace %q was deleted: %w", name, ns, provider.ErrNotFound)
}

// startNew writes the secrets, starts the replicas and persists a new
// function, undoing each step when a later one fails.
func (b *Host) startNew(ctx context.Context, f *function, name, ns string) error {
	b.mu.RLock()
	n, ok := b.namespace(ns)
	var err error
	if !ok {
		err = fmt.Errorf("namespace %q: %w", ns, provider.ErrNotFound)
	} else {
		err = b.writeMount(name, ns, f.spec.Secrets, n.secrets)
	}
	b.mu.RUnlock()
	if err == nil {
		if err = b.runFunction(ctx, f, name, ns, f.replicas, false); err == nil {
			if err = b.saveFunction(f, name, ns, f.spec, f.replicas); err == nil {
				return nil
			}
			b.removeReplicas(ctx, f, name, ns)
		}
	}
	os.RemoveAll(b.mountDir(name, ns))
	return err
}

// resyncMount rewrites a function's secrets once it is visible to secret
// updates, so an update that raced the deploy is not missed; the caller
// holds b.mu.
func (b *Host) resyncMount(n *namespace, f *function, name, ns string) {
	if len(f.spec.Secrets) == 0 || f.gone {
		return
	}
	if err := b.writeMount(name, ns, f.spec.Secrets, n.secrets); err != nil {
		b.log.Error("refreshing function secrets", "function", name, "namespace", ns, "err", err)
	}
}

// checkDeploy checks the namespace and the secrets a spec names; the caller
// holds b.mu.
func (b *Host) checkDeploy(spec provider.FunctionDeployment, ns string) (*namespace, error) {
	n, ok := b.namespace(ns)
	if !ok {
		return nil, fmt.Errorf("namespace %q: %w", ns, provider.ErrNotFound)
	}
	for _, s := range spec.Secrets {
		if _, ok := n.secrets[s]; !ok {
			return nil, fmt.Errorf("secret %q does not exist in namespace %q (create it first): %w", s, ns, provider.ErrInvalid)
		}
	}
	return n, nil
}

// chooseRuntime returns the runtime the annotation names, else the image's kind.
func (b *Host) chooseRuntime(ctx context.Context, spec provider.FunctionDeployment) (string, error) {
	if rt := spec.Annotations[provider.AnnotationRuntime]; rt != "" {
		return rt, nil
	}
	return b.inspect(ctx, spec.Image)
}

// Update replaces a function's deployment. The replica count is kept within
// the new scale bounds. When the new replicas cannot be started the old ones
// keep serving and nothing changes.
//
// # Errors
// provider.ErrNotFound if the function or namespace does not exist;
// otherwise as Deploy.
func (b *Host) Update(ctx context.Context, d provider.FunctionDeployment) error {
	ns := b.nsOrDefault(d.Namespace)
	spec, l, err := normalize(d, ns, b.opts.maxReplicas)
	if err != nil {
		return fmt.Errorf("update %s: %w", d.Service, err)
	}
	name := spec.Service
	b.mu.RLock()
	f, err := b.lookup(name, ns)
	if err == nil {
		_, err = b.checkDeploy(spec, ns)
	}
	b.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	f.op.Lock()
	defer f.op.Unlock()
	if !b.current(f, name, ns) {
		return fmt.Errorf("update %s: function was deleted: %w", name, provider.ErrNotFound)
	}
	runtime, err := b.chooseRuntime(ctx, spec)
	if err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	if err := b.replace(ctx, f, name, ns, spec, runtime, l); err != nil {
		return fmt.Errorf("update %s: %w", name, err)
	}
	b.log.Info("function updated", "function", name, "namespace", ns, "runtime", runtime)
	return nil
}

// replace swaps f to spec: secrets, replicas, then the record. The caller
// holds f.op.
func (b *Host) replace(ctx context.Context, f *function, name, ns string, spec provider.FunctionDeployment, runtime string, l limits) error {
	b.mu.RLock()
	old, oldRuntime, replicas := f.spec, f.runtime, clampReplicas(f.replicas, l)
	n, ok := b.namespace(ns)
	if !ok {
		b.mu.RUnlock()
		return fmt.Errorf("namespace %q: %w", ns, provider.ErrNotFound)
	}
	have := n.secrets
	err := b.writeMount(name, ns, spec.Secrets, have)
	b.mu.RUnlock()
	if err != nil {
		return err
	}
	undoMount := func() {
		b.mu.RLock()
		defer b.mu.RUnlock()
		if err := b.writeMount(name, ns, old.Secrets, have); err != nil {
			b.log.Error("restoring secrets after a failed update", "function", name, "namespace", ns, "err", err)
		}
	}
	next := &function{spec: spec, runtime: runtime, logs: f.logs}
	if err := b.runFunction(ctx, next, name, ns, replicas, false); err != nil {
		undoMount()
		return err
	}
	if err := b.saveFunction(f, name, ns, spec, replicas); err != nil {
		undoMount()
		return err
	}
	if oldRuntime != runtime {
		if r, err := b.driver(oldRuntime); err == nil {
			if err := r.Remove(ctx, name, ns); err != nil {
				b.log.Error("removing replicas of the previous runtime", "function", name, "namespace", ns, "err", err)
			}
		}
	}
	b.mu.Lock()
	f.spec, f.runtime, f.replicas, f.loadErr = spec, runtime, replicas, nil
	f.min, f.max = l.min, l.max
	if n, ok := b.namespace(ns); ok {
		b.resyncMount(n, f, name, ns)
	}
	b.mu.Unlock()
	return nil
}

// Delete removes a function, its replicas, its secrets directory and its logs.
//
// # Errors
// provider.ErrNotFound if the function does not exist.
func (b *Host) Delete(ctx context.Context, name, namespace string) error {
	ns := b.nsOrDefault(namespace)
	f, err := b.lockFunction(name, ns)
	if err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	defer f.op.Unlock()
	if err := removeFile(b.functionPath(name, ns)); err != nil {
		return fmt.Errorf("delete %s: %w", name, err)
	}
	// The function stays visible until it is gone, so a new function of
	// the same name cannot be deployed into what is being removed.
	b.dropFunction(ctx, f, name, ns)
	b.mu.Lock()
	if n, ok := b.namespaces[ns]; ok && n.functions[name] == f {
		delete(n.functions, name)
	}
	b.mu.Unlock()
	b.log.Info("function deleted", "function", name, "namespace", ns)
	return nil
}

// dropFunction stops a function and removes what it kept on disk: its
// record, its secrets directory and its replicas; it ends its log followers.
func (b *Host) dropFunction(ctx context.Context, f *function, name, ns string) {
	b.removeReplicas(ctx, f, name, ns)
	if err := removeFile(b.functionPath(name, ns)); err != nil {
		b.log.Error("removing function record", "function", name, "namespace", ns, "err", err)
	}
	// Under b.mu, so no secret update rewrites the directory meanwhile; gone
	// keeps later ones from creating it again.
	b.mu.Lock()
	f.gone = true
	err := os.RemoveAll(b.mountDir(name, ns))
	b.mu.Unlock()
	if err != nil {
		b.log.Error("removing function secrets", "function", name, "namespace", ns, "err", err)
	}
	f.logs.close()
}

func (b *Host) removeReplicas(ctx context.Context, f *function, name, ns string) {
	r, err := b.driver(f.runtime)
	if err != nil {
		return
	}
	if err := r.Remove(ctx, name, ns); err != nil {
		b.log.Error("removing replicas", "function", name, "namespace", ns, "err", err)
	}
}

// nsOrDefault returns ns, or the default namespace when ns is empty.
func (b *Host) nsOrDefault(ns string) string {
	if ns == "" {
		return b.opts.namespace
	}
	return ns
}
