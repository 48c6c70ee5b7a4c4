package autoscale

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/metrics"
	"github.com/faas-wasm/faas-wasm/internal/testclock"
	"github.com/faas-wasm/faas-wasm/provider"
)

// fakeBackend holds function statuses in memory and records Scale calls.
// Only the methods the autoscaler calls are implemented; the others belong
// to the nil embedded Backend and panic if called.
type fakeBackend struct {
	provider.Backend
	mu     sync.Mutex
	fns    map[string]*provider.FunctionStatus // by name (namespace provider.DefaultNamespace)
	scales []uint64
	fail   error
	// beforeFunction, when set, runs at the start of each Function call.
	beforeFunction func()
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{fns: map[string]*provider.FunctionStatus{}}
}

func (f *fakeBackend) add(st provider.FunctionStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st.Namespace = provider.DefaultNamespace
	f.fns[st.Name] = &st
}

func (f *fakeBackend) replicas(name string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fns[name].Replicas
}

// set changes a function's replicas as someone other than the autoscaler would.
func (f *fakeBackend) set(name string, n uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fns[name].Replicas = n
}

func (f *fakeBackend) Namespaces(context.Context) ([]string, error) {
	return []string{provider.DefaultNamespace}, nil
}

func (f *fakeBackend) Functions(_ context.Context, ns string) ([]provider.FunctionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if ns != provider.DefaultNamespace {
		return nil, fmt.Errorf("namespace %s: %w", ns, provider.ErrNotFound)
	}
	out := make([]provider.FunctionStatus, 0, len(f.fns))
	for _, st := range f.fns {
		out = append(out, *st)
	}
	return out, nil
}

func (f *fakeBackend) Function(_ context.Context, name, _ string) (provider.FunctionStatus, error) {
	if f.beforeFunction != nil {
		f.beforeFunction()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.fns[name]
	if !ok {
		return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
	}
	return *st, nil
}

func (f *fakeBackend) Scale(_ context.Context, name, _ string, n uint64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	st, ok := f.fns[name]
	if !ok {
		return fmt.Errorf("scale %s: %w", name, provider.ErrNotFound)
	}
	st.Replicas = n
	f.scales = append(f.scales, n)
	return nil
}

// fakeLoad integrates per-function call rates over the fake clock: a
// function receiving rps calls per second with conc calls in flight on
// average accumulates Invocations and Busy accordingly.
type fakeLoad struct {
	clock *testclock.Clock
	mu    sync.Mutex
	fns   map[string]*fakeFnLoad
}

type fakeFnLoad struct {
	rps, conc float64
	inflight  int64
	load      metrics.Load
	inv       float64
}

func newFakeLoad(c *testclock.Clock) *fakeLoad {
	return &fakeLoad{clock: c, fns: map[string]*fakeFnLoad{}}
}

func (l *fakeLoad) get(name string) *fakeFnLoad {
	f := l.fns[name]
	if f == nil {
		f = &fakeFnLoad{load: metrics.Load{At: l.clock.Now()}}
		l.fns[name] = f
	}
	return f
}

// advance integrates every function's rates up to now.
func (l *fakeLoad) advance() {
	now := l.clock.Now()
	for _, f := range l.fns {
		dt := now.Sub(f.load.At)
		if dt > 0 {
			f.inv += f.rps * dt.Seconds()
			f.load.Invocations = uint64(f.inv)
			f.load.Busy += time.Duration(f.conc * float64(dt))
			if f.rps > 0 || f.conc > 0 {
				f.load.LastCall = now
			}
		}
		f.load.At = now
		f.load.InFlight = f.inflight
	}
}

// rate sets the load a function receives from now on.
func (l *fakeLoad) rate(name string, rps, conc float64, inflight int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance()
	f := l.get(name)
	f.rps, f.conc, f.inflight = rps, conc, inflight
	f.load.InFlight = inflight
}

func (l *fakeLoad) Load(name, _ string) metrics.Load {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.advance()
	return l.get(name).load
}
