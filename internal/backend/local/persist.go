package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/faas-wasm/faas-wasm/provider"
)

// load reads namespaces, secret names and function records from disk.
// openfaas-fn and the configured default namespace are created when missing.
func (b *Host) load() error {
	err := readJSONDir(b.log, filepath.Join(b.dir, "namespaces"), func() any { return new(provider.FunctionNamespace) },
		func(name string, v any) {
			if err := provider.ValidateName("namespace", name); err != nil {
				b.log.Error("stored namespace is not usable; skipped", "err", err)
				return
			}
			meta := *v.(*provider.FunctionNamespace)
			meta.Name = name
			b.namespaces[name] = &namespace{meta: meta, functions: map[string]*function{}, secrets: map[string]struct{}{}}
		})
	if err != nil {
		return err
	}
	for _, name := range []string{provider.DefaultNamespace, b.opts.namespace} {
		if _, ok := b.namespaces[name]; ok {
			continue
		}
		meta := provider.FunctionNamespace{Name: name}
		if err := writeJSON(b.namespacePath(name), meta); err != nil {
			return err
		}
		b.namespaces[name] = &namespace{meta: meta, functions: map[string]*function{}, secrets: map[string]struct{}{}}
	}
	for name, n := range b.namespaces {
		if err := b.loadSecrets(name, n); err != nil {
			return err
		}
		if err := b.loadFunctions(name, n); err != nil {
			return err
		}
	}
	return b.pruneMounts()
}

// pruneMounts removes the secret mounts of functions that have no record.
// A crash between writing a function's secrets and saving its record leaves
// them behind, with copies of secret values that would outlive the secrets.
func (b *Host) pruneMounts() error {
	root := filepath.Join(b.dir, "mounts")
	nss, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, nsEntry := range nss {
		if !nsEntry.IsDir() {
			continue
		}
		n := b.namespaces[nsEntry.Name()]
		fns, err := os.ReadDir(filepath.Join(root, nsEntry.Name()))
		if err != nil {
			return err
		}
		for _, fe := range fns {
			if n != nil && n.functions[fe.Name()] != nil {
				continue
			}
			path := filepath.Join(root, nsEntry.Name(), fe.Name())
			b.log.Info("removing the secrets mount of a function that was never saved", "path", path)
			if err := os.RemoveAll(path); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *Host) loadSecrets(ns string, n *namespace) error {
	dir := filepath.Join(b.dir, "secrets", ns)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
			continue
		}
		if !e.IsDir() && provider.ValidateName("secret", e.Name()) == nil {
			n.secrets[e.Name()] = struct{}{}
		}
	}
	return nil
}

func (b *Host) loadFunctions(ns string, n *namespace) error {
	return readJSONDir(b.log, filepath.Join(b.dir, "functions", ns), func() any { return new(record) },
		func(name string, v any) {
			rec := v.(*record)
			spec, l, err := normalize(rec.Spec, ns, b.opts.maxReplicas)
			if err != nil || spec.Service != name {
				b.log.Error("stored function is not usable; skipped", "function", name, "namespace", ns, "err", err)
				return
			}
			n.functions[name] = &function{
				spec:      spec,
				runtime:   rec.Runtime,
				createdAt: rec.CreatedAt,
				replicas:  min(rec.Replicas, l.max),
				min:       l.min,
				max:       l.max,
				logs:      newLogRing(b.opts.logLines),
			}
		})
}

// restore re-creates the replicas of every loaded function. A function that
// cannot be restored (image gone, runtime missing) is kept with its error
// logged and written to its own log, so it is reported rather than dropped;
// Scale retries it.
func (b *Host) restore(ctx context.Context) {
	for ns, n := range b.namespaces {
		for name, f := range n.functions {
			if err := b.writeMount(name, ns, f.spec.Secrets, n.secrets); err != nil {
				f.loadErr = err
			} else {
				f.loadErr = b.runFunction(ctx, f, name, ns, f.replicas, true)
			}
			if f.loadErr != nil {
				b.reportLoadError(f, name, ns, f.loadErr)
			}
		}
	}
}

// runFunction deploys f's spec through its driver with the given replicas.
func (b *Host) runFunction(ctx context.Context, f *function, name, ns string, replicas uint64, restore bool) error {
	r, err := b.driver(f.runtime)
	if err != nil {
		return err
	}
	return r.Deploy(ctx, Deployment{
		Spec:       f.spec,
		Replicas:   replicas,
		SecretsDir: b.mountDir(name, ns),
		Restore:    restore,
		Log:        b.logFunc(f, name, ns),
	})
}

func (b *Host) reportLoadError(f *function, name, ns string, err error) {
	b.log.Error("function could not be started; kept with no replicas", "function", name, "namespace", ns, "err", err)
	f.logs.add(logLine(name, ns, "faas-wasm", "function could not be started: "+err.Error(), b.opts.now()))
}

// saveFunction persists f; the caller holds f.op.
func (b *Host) saveFunction(f *function, name, ns string, spec provider.FunctionDeployment, replicas uint64) error {
	rec := record{Spec: spec, Runtime: f.runtime, CreatedAt: f.createdAt, Replicas: replicas}
	if err := writeJSON(b.functionPath(name, ns), rec); err != nil {
		return fmt.Errorf("save function %s: %w", name, err)
	}
	return nil
}

// writeMount makes the function's secret directory hold exactly the named
// secrets that exist in the namespace. Each file is replaced atomically, so
// a running function never reads half a secret.
func (b *Host) writeMount(name, ns string, want []string, have map[string]struct{}) error {
	dir := b.mountDir(name, ns)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("secrets of %s: %w", name, err)
	}
	keep := map[string]bool{}
	for _, s := range want {
		if _, ok := have[s]; !ok {
			continue
		}
		data, err := os.ReadFile(b.secretPath(s, ns))
		if err != nil {
			return fmt.Errorf("secrets of %s: read secret %s: %w", name, s, err)
		}
		if err := atomicWrite(filepath.Join(dir, s), data, 0o400); err != nil {
			return fmt.Errorf("secrets of %s: write secret %s: %w", name, s, err)
		}
		keep[s] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("secrets of %s: %w", name, err)
	}
	for _, e := range entries {
		if !keep[e.Name()] {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("secrets of %s: %w", name, err)
			}
		}
	}
	return nil
}
