package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

var _ provider.Backend = (*Host)(nil)

// Host is the local, single-host provider.Backend: Wasm functions in-process, container functions through containerd. Create it with New and
// stop it with Close.
type Host struct {
	opts options
	dir  string
	log  *slog.Logger
	wasm Driver
	// inspect returns the runtime an image needs (provider.RuntimeWasm or
	// provider.RuntimeContainer).
	inspect func(ctx context.Context, ref string) (string, error)

	mu         sync.RWMutex
	namespaces map[string]*namespace
	pending    map[string]bool // "ns/name" of functions being deployed
}

// namespace is one function namespace and what lives in it.
type namespace struct {
	meta      provider.FunctionNamespace
	functions map[string]*function
	secrets   map[string]struct{} // names only; values stay on disk
	deleting  bool                // DeleteNamespace is removing it: invisible, name still taken
}

// namespace finds a namespace that is not being deleted; the caller holds b.mu.
func (b *Host) namespace(name string) (*namespace, bool) {
	n, ok := b.namespaces[name]
	if !ok || n.deleting {
		return nil, false
	}
	return n, true
}

// function is one deployed function. op serialises the slow operations
// (update, scale, delete) of this function without holding Backend.mu; the
// plain fields are written with both op and Backend.mu held, so holding
// either is enough to read them; the atomics need neither.
type function struct {
	op sync.Mutex

	spec      provider.FunctionDeployment
	runtime   string
	createdAt time.Time
	replicas  uint64 // desired
	min, max  uint64
	loadErr   error // why the replicas could not be restored, if they could not
	gone      bool  // being deleted: its secrets directory is removed

	logs *logRing
}

// record is a function as persisted under functions/NS/NAME.json.
type record struct {
	Spec      provider.FunctionDeployment `json:"spec"`
	Runtime   string                      `json:"runtime"`
	CreatedAt time.Time                   `json:"createdAt"`
	Replicas  uint64                      `json:"replicas"`
}

// newBackend loads the state under dir, restores every function through its
// driver and starts the idle scale-to-zero loop.
func newBackend(ctx context.Context, dir string, wasm Driver, inspect func(context.Context, string) (string, error), o options) (*Host, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state dir %s: %w", dir, err)
	}
	connectContainers(ctx, &o)
	b := &Host{
		opts:       o,
		dir:        dir,
		log:        o.log,
		wasm:       wasm,
		inspect:    inspect,
		namespaces: map[string]*namespace{},
		pending:    map[string]bool{},
	}
	if err := b.load(); err != nil {
		if o.containers != nil {
			o.containers.Close(ctx)
		}
		return nil, fmt.Errorf("load state from %s: %w", dir, err)
	}
	b.restore(ctx)
	if cr, ok := o.containers.(*containerDriver); ok {
		cr.removeOrphans(ctx, b.log)
	}
	return b, nil
}

// Close stops every replica. State on disk is kept, so a
// new Backend on the same directory restores the functions.
//
// # Errors
// An error when a driver could not stop its replicas.
func (b *Host) Close(ctx context.Context) error {
	var errs []error
	if err := b.wasm.Close(ctx); err != nil {
		errs = append(errs, fmt.Errorf("close wasm driver: %w", err))
	}
	if c := b.opts.containers; c != nil {
		if err := c.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("close container driver: %w", err))
		}
	}
	return errors.Join(errs...)
}

// Info describes the backend: provider "faas-wasm", orchestration "local".
func (b *Host) Info(context.Context) provider.ProviderInfo {
	return provider.ProviderInfo{Name: "faas-wasm", Orchestration: "local", Version: b.opts.version}
}

// driver returns the driver of a runtime, or an error wrapping
// provider.ErrNotImplemented naming what is missing.
func (b *Host) driver(runtime string) (Driver, error) {
	switch runtime {
	case provider.RuntimeWasm:
		return b.wasm, nil
	case provider.RuntimeContainer:
		if err := b.opts.containersErr; err != nil {
			return nil, fmt.Errorf("container functions are unavailable: %s: %w", strings.ReplaceAll(err.Error(), "\n", "; "), provider.ErrNotImplemented)
		}
		if b.opts.containers == nil {
			return nil, fmt.Errorf("container functions need containerd: start containerd and run faas-wasm with --containerd-socket pointing at it, or deploy a Wasm image: %w", provider.ErrNotImplemented)
		}
		return b.opts.containers, nil
	}
	return nil, fmt.Errorf("unknown runtime %q: %w", runtime, provider.ErrInvalid)
}

// lookup finds a function; the caller holds b.mu.
func (b *Host) lookup(name, ns string) (*function, error) {
	n, ok := b.namespace(ns)
	if !ok {
		return nil, fmt.Errorf("namespace %q: %w", ns, provider.ErrNotFound)
	}
	f, ok := n.functions[name]
	if !ok {
		return nil, fmt.Errorf("function %q in namespace %q: %w", name, ns, provider.ErrNotFound)
	}
	return f, nil
}

// current reports whether f is still the deployed function name in ns.
func (b *Host) current(f *function, name, ns string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	got, err := b.lookup(name, ns)
	return err == nil && got == f
}

// lockFunction returns the function name.ns with its operation lock held
// (the caller unlocks f.op), once no other operation on it runs and it is
// still the current one.
//
// # Errors
// provider.ErrNotFound if it does not exist or was deleted meanwhile.
func (b *Host) lockFunction(name, ns string) (*function, error) {
	b.mu.RLock()
	f, err := b.lookup(name, ns)
	b.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	f.op.Lock()
	if !b.current(f, name, ns) {
		f.op.Unlock()
		return nil, fmt.Errorf("function %q in namespace %q was deleted: %w", name, ns, provider.ErrNotFound)
	}
	return f, nil
}

// logFunc returns the Deployment.Log callback of a function.
func (b *Host) logFunc(f *function, name, ns string) func(instance, text string) {
	return func(instance, text string) {
		f.logs.add(logLine(name, ns, instance, text, b.opts.now()))
	}
}

// Paths of the state directory.
func (b *Host) namespacePath(ns string) string {
	return filepath.Join(b.dir, "namespaces", ns+".json")
}
func (b *Host) functionPath(name, ns string) string {
	return filepath.Join(b.dir, "functions", ns, name+".json")
}
func (b *Host) secretPath(name, ns string) string {
	return filepath.Join(b.dir, "secrets", ns, name)
}
func (b *Host) mountDir(name, ns string) string {
	return filepath.Join(b.dir, "mounts", ns, name)
}
