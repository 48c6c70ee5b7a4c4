package handlers

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// fakeBackend is an in-memory provider.Backend for the HTTP layer's tests.
// Functions answer calls with an echo of what they received; a function
// scaled to zero reports ErrUnavailable until readyDelay after a Scale.
type fakeBackend struct {
	mu         sync.Mutex
	namespaces map[string]provider.FunctionNamespace
	functions  map[string]*fakeFunction
	secrets    map[string]provider.Secret
	logs       []provider.LogMessage
	subs       map[chan provider.LogMessage]struct{}
	scales     []uint64
	lastLogReq provider.LogRequest
	readyDelay time.Duration
	// afterStatus, when set, runs after Function has read a status and
	// before it returns it (without the lock): a change racing the reader.
	afterStatus func()
	// fail, when set, is returned by every method that can fail.
	fail error
}

type fakeFunction struct {
	status  provider.FunctionStatus
	readyAt time.Time
}

var _ provider.Backend = (*fakeBackend)(nil)

func newFakeBackend() *fakeBackend {
	return &fakeBackend{
		namespaces: map[string]provider.FunctionNamespace{provider.DefaultNamespace: {Name: provider.DefaultNamespace}},
		functions:  map[string]*fakeFunction{},
		secrets:    map[string]provider.Secret{},
		subs:       map[chan provider.LogMessage]struct{}{},
	}
}

func key(name, ns string) string { return ns + "/" + name }

func (f *fakeBackend) Deploy(_ context.Context, fn provider.FunctionDeployment) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.functions[key(fn.Service, fn.Namespace)]; ok {
		return fmt.Errorf("function %s: %w", fn.Service, provider.ErrAlreadyExists)
	}
	return f.store(fn)
}

func (f *fakeBackend) Update(_ context.Context, fn provider.FunctionDeployment) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.functions[key(fn.Service, fn.Namespace)]; !ok {
		return fmt.Errorf("function %s: %w", fn.Service, provider.ErrNotFound)
	}
	return f.store(fn)
}

func (f *fakeBackend) store(fn provider.FunctionDeployment) error {
	if _, ok := f.namespaces[fn.Namespace]; !ok {
		return fmt.Errorf("namespace %s: %w", fn.Namespace, provider.ErrNotFound)
	}
	for _, s := range fn.Secrets {
		if _, ok := f.secrets[key(s, fn.Namespace)]; !ok {
			return fmt.Errorf("secret %s: %w", s, provider.ErrNotFound)
		}
	}
	minReplicas, _, err := provider.ScaleBounds(fn.Labels, 20)
	if err != nil {
		return err
	}
	labels := map[string]string{provider.LabelFunction: fn.Service}
	for k, v := range fn.Labels {
		labels[k] = v
	}
	f.functions[key(fn.Service, fn.Namespace)] = &fakeFunction{status: provider.FunctionStatus{
		Name: fn.Service, Image: fn.Image, Namespace: fn.Namespace, EnvProcess: fn.EnvProcess,
		EnvVars: fn.EnvVars, Constraints: fn.Constraints, Secrets: fn.Secrets, Labels: labels,
		Annotations: fn.Annotations, Limits: fn.Limits, Requests: fn.Requests,
		ReadOnlyRootFilesystem: fn.ReadOnlyRootFilesystem, Replicas: minReplicas,
		AvailableReplicas: minReplicas, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}}
	return nil
}

func (f *fakeBackend) Delete(_ context.Context, name, ns string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.functions[key(name, ns)]; !ok {
		return fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
	}
	delete(f.functions, key(name, ns))
	return nil
}

func (f *fakeBackend) Function(_ context.Context, name, ns string) (provider.FunctionStatus, error) {
	f.mu.Lock()
	after := f.afterStatus
	st, err := f.status(name, ns)
	f.mu.Unlock()
	if after != nil {
		after()
	}
	return st, err
}

func (f *fakeBackend) status(name, ns string) (provider.FunctionStatus, error) {
	if f.fail != nil {
		return provider.FunctionStatus{}, f.fail
	}
	fn, ok := f.functions[key(name, ns)]
	if !ok {
		return provider.FunctionStatus{}, fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
	}
	st := fn.status
	if time.Now().Before(fn.readyAt) {
		st.AvailableReplicas = 0
	}
	return st, nil
}

func (f *fakeBackend) Functions(_ context.Context, ns string) ([]provider.FunctionStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if _, ok := f.namespaces[ns]; !ok {
		return nil, fmt.Errorf("namespace %s: %w", ns, provider.ErrNotFound)
	}
	var out []provider.FunctionStatus
	for _, fn := range f.functions {
		if fn.status.Namespace == ns {
			out = append(out, fn.status)
		}
	}
	slices.SortFunc(out, func(a, b provider.FunctionStatus) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *fakeBackend) Scale(_ context.Context, name, ns string, replicas uint64) error {
	return f.scale(name, ns, func(*fakeFunction) (uint64, bool) { return replicas, true })
}

func (f *fakeBackend) WakeFromZero(_ context.Context, name, ns string) error {
	return f.scale(name, ns, func(fn *fakeFunction) (uint64, bool) {
		return provider.WakeReplicas(fn.status.Labels), fn.status.Replicas == 0
	})
}

// scale records a scale of name.ns to the count want gives for it, unless
// want reports false.
func (f *fakeBackend) scale(name, ns string, want func(*fakeFunction) (uint64, bool)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	fn, ok := f.functions[key(name, ns)]
	if !ok {
		return fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
	}
	if replicas, ok := want(fn); ok {
		f.scales = append(f.scales, replicas)
		fn.status.Replicas, fn.status.AvailableReplicas = replicas, replicas
		fn.readyAt = time.Now().Add(f.readyDelay)
	}
	return nil
}

func (f *fakeBackend) scaleCalls() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.scales)
}

// echo is what a fake function answers: everything it was called with.
type echo struct {
	Method, Path, RawPath, Query, RequestURI, Body string
	ContentLength                                  int64
	Header                                         http.Header
}

func (f *fakeBackend) Invoker(_ context.Context, name, ns string) (http.Handler, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	fn, ok := f.functions[key(name, ns)]
	if !ok {
		return nil, fmt.Errorf("function %s: %w", name, provider.ErrNotFound)
	}
	if fn.status.Replicas == 0 || time.Now().Before(fn.readyAt) {
		return nil, fmt.Errorf("function %s: no ready replica: %w", name, provider.ErrUnavailable)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Duration-Seconds", "0.000001")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(echo{Method: r.Method, Path: r.URL.Path, RawPath: r.URL.RawPath,
			Query: r.URL.RawQuery, RequestURI: r.RequestURI, Body: string(body),
			ContentLength: r.ContentLength, Header: r.Header})
	}), nil
}

func (f *fakeBackend) Secrets(_ context.Context, ns string) ([]provider.SecretRef, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	if _, ok := f.namespaces[ns]; !ok {
		return nil, fmt.Errorf("namespace %s: %w", ns, provider.ErrNotFound)
	}
	var out []provider.SecretRef
	for _, s := range f.secrets {
		if s.Namespace == ns {
			out = append(out, provider.SecretRef{Name: s.Name, Namespace: s.Namespace})
		}
	}
	slices.SortFunc(out, func(a, b provider.SecretRef) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

func (f *fakeBackend) CreateSecret(_ context.Context, s provider.Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.namespaces[s.Namespace]; !ok {
		return fmt.Errorf("namespace %s: %w", s.Namespace, provider.ErrNotFound)
	}
	if _, ok := f.secrets[key(s.Name, s.Namespace)]; ok {
		return fmt.Errorf("secret %s: %w", s.Name, provider.ErrAlreadyExists)
	}
	f.secrets[key(s.Name, s.Namespace)] = s
	return nil
}

func (f *fakeBackend) UpdateSecret(_ context.Context, s provider.Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.secrets[key(s.Name, s.Namespace)]; !ok {
		return fmt.Errorf("secret %s: %w", s.Name, provider.ErrNotFound)
	}
	f.secrets[key(s.Name, s.Namespace)] = s
	return nil
}

func (f *fakeBackend) DeleteSecret(_ context.Context, name, ns string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.secrets[key(name, ns)]; !ok {
		return fmt.Errorf("secret %s: %w", name, provider.ErrNotFound)
	}
	delete(f.secrets, key(name, ns))
	return nil
}

func (f *fakeBackend) Namespaces(context.Context) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	var out []string
	for n := range f.namespaces {
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

func (f *fakeBackend) Namespace(_ context.Context, name string) (provider.FunctionNamespace, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return provider.FunctionNamespace{}, f.fail
	}
	ns, ok := f.namespaces[name]
	if !ok {
		return provider.FunctionNamespace{}, fmt.Errorf("namespace %s: %w", name, provider.ErrNotFound)
	}
	return ns, nil
}

func (f *fakeBackend) CreateNamespace(_ context.Context, ns provider.FunctionNamespace) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.namespaces[ns.Name]; ok {
		return fmt.Errorf("namespace %s: %w", ns.Name, provider.ErrAlreadyExists)
	}
	f.namespaces[ns.Name] = ns
	return nil
}

func (f *fakeBackend) UpdateNamespace(_ context.Context, ns provider.FunctionNamespace) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.namespaces[ns.Name]; !ok {
		return fmt.Errorf("namespace %s: %w", ns.Name, provider.ErrNotFound)
	}
	f.namespaces[ns.Name] = ns
	return nil
}

func (f *fakeBackend) DeleteNamespace(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	if _, ok := f.namespaces[name]; !ok {
		return fmt.Errorf("namespace %s: %w", name, provider.ErrNotFound)
	}
	delete(f.namespaces, name)
	return nil
}

func (f *fakeBackend) Info(context.Context) provider.ProviderInfo {
	return provider.ProviderInfo{Name: "faas-wasm", Orchestration: "local",
		Version: provider.VersionInfo{SHA: "abc123", Release: "0.1.0"}}
}
