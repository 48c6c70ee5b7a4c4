package local

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// New returns the local backend keeping its state under stateDir and
// running Wasm functions on engine. It loads the namespaces, secrets and
// functions saved there and starts their replicas again: a Wasm function's
// module is read from the copy kept under stateDir (pulled again only if that
// copy is gone), and compiled through the engine's AOT cache. A function that
// cannot be started is kept and reported (log line, 0 available replicas),
// never dropped. The engine must outlive the Host; its cache directory is
// best placed under stateDir too (e.g. stateDir/cache).
//
// # Errors
// provider.ErrInvalid when engine is nil or an option is invalid; an error
// when stateDir cannot be created or read.
func New(ctx context.Context, stateDir string, engine *wasm.Engine, opts ...Option) (*Host, error) {
	if engine == nil {
		return nil, fmt.Errorf("local backend: no wasm engine: %w", provider.ErrInvalid)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("local backend: %w", err)
	}
	w := newWasmDriver(engineAdapter{engine}, ociSource(o.registry, o.trustedKeys.Len() > 0), filepath.Join(stateDir, "wasm"), &o)
	return newBackend(ctx, stateDir, w, ociInspect(o.registry), o)
}

// engineAdapter fits runtime/wasm to the wasmEngine view of the driver and
// translates its errors into provider and invocation error classes.
type engineAdapter struct{ e *wasm.Engine }

func (a engineAdapter) compile(ctx context.Context, module, precompiled []byte) (wasmProgram, error) {
	m, err := a.e.CompilePrecompiled(ctx, module, precompiled)
	switch {
	case errors.Is(err, wasm.ErrInvalidModule), errors.Is(err, wasm.ErrNotFunction):
		return nil, fmt.Errorf("%w: %w", err, provider.ErrImage)
	case err != nil:
		return nil, err
	}
	return programAdapter{a.e, m}, nil
}

func (a engineAdapter) fingerprint() string { return a.e.Fingerprint() }

type programAdapter struct {
	e *wasm.Engine
	m *wasm.Module
}

func (p programAdapter) size() int64 { return p.m.CodeSize() }

func (p programAdapter) instantiate(cfg replicaConfig) (wasmReplica, error) {
	mode := wasm.ModeFresh
	if cfg.Warm {
		mode = wasm.ModeWarm
	}
	f, err := p.e.NewFunction(p.m, wasm.Config{
		Name: cfg.Name, Namespace: cfg.Namespace, Env: cfg.Env, SecretsDir: cfg.SecretsDir,
		MemoryLimit: cfg.MemoryLimit, Timeout: cfg.Timeout, MaxResponseBytes: cfg.MaxResponseBytes,
		MaxConcurrency: cfg.MaxConcurrency, AllowedHosts: cfg.AllowedHosts, Mode: mode, Log: cfg.Log,
	})
	if errors.Is(err, wasm.ErrNotFunction) || errors.Is(err, wasm.ErrMemoryLimit) {
		return nil, fmt.Errorf("%w: %w", err, provider.ErrInvalid)
	}
	if err != nil {
		return nil, err
	}
	return replicaAdapter{f}, nil
}

type replicaAdapter struct{ f *wasm.Function }

func (r replicaAdapter) invoke(ctx context.Context, req *invocation) (*reply, error) {
	resp, err := r.f.Invoke(ctx, &wasm.Request{
		Method: req.Method, Path: req.Path, RawQuery: req.RawQuery, Host: req.Host,
		RemoteAddr: req.RemoteAddr, Header: req.Header, Body: req.Body,
	})
	if err != nil {
		return nil, err
	}
	return &reply{Status: resp.Status, Header: resp.Header, Body: resp.Body}, nil
}

func (r replicaAdapter) close() error { return r.f.Close() }
