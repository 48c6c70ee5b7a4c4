package local

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// WasmRunner is local mode's Wasm driver on its own, for a backend that
// runs functions elsewhere but serves some calls in-process: the Kubernetes
// backend answers a Wasm function's calls with it while the function has no
// ready pod. It is the same execution path as local mode — module pulled
// from the image (with its precompiled layer, loaded when a key of
// WithTrustedBuildKeys signed it), compiled once per module content, the
// function's memory limit, wall-time limit (WithTimeout), allowed hosts,
// warm or fresh mode and secrets directory — with one replica per function.
// It is safe for concurrent use.
type WasmRunner struct {
	d      *wasmDriver
	engine *wasm.Engine
}

// NewWasmRunner starts a Wasm engine of its own (wasm.NewEngine with
// cacheDir, its AOT cache, and engineOpts) and returns a runner on it;
// Close closes both. The runner keeps no module on disk: after a restart
// modules are pulled again (their compiled code comes from the AOT cache).
// Of the options, WithLogger, WithTimeout, WithMaxRequestBytes,
// WithMaxResponseBytes, WithReplicaConcurrency, WithRegistryOptions,
// WithTrustedBuildKeys and WithModuleCache apply.
//
// # Errors
// provider.ErrInvalid when an option is invalid; the engine's error when it
// cannot start.
func NewWasmRunner(cacheDir string, engineOpts []wasm.Option, opts ...Option) (*WasmRunner, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("wasm runner: %w", err)
	}
	engine, err := wasm.NewEngine(cacheDir, engineOpts...)
	if err != nil {
		return nil, fmt.Errorf("wasm runner: engine: %w", err)
	}
	return &WasmRunner{d: newWasmDriver(engineAdapter{engine}, ociSource(o.registry, o.trustedKeys.Len() > 0), "", &o), engine: engine}, nil
}

// Load pulls and compiles spec's module (nothing is pulled or compiled
// again for an image digest or module already cached, see WithModuleCache:
// the image's tag is resolved to its digest with one request) and loads one
// replica with secretsDir preopened read-only at /var/openfaas/secrets when
// spec names secrets (without, the function has no filesystem and
// secretsDir is not used), replacing the function's previous replica. log
// receives the lines the function writes to stderr.
//
// # Errors
// Errors wrapping provider.ErrImage when the image cannot be pulled or its
// module compiled, provider.ErrInvalid for limits the module cannot run with.
func (r *WasmRunner) Load(ctx context.Context, spec provider.FunctionDeployment, secretsDir string, log func(instance, line string)) error {
	return r.d.Deploy(ctx, Deployment{Spec: spec, Replicas: 1, SecretsDir: secretsDir, Log: log})
}

// Handler returns the handler serving the function's calls on its loaded
// replica; the request's URL has the /function/NAME prefix stripped.
//
// # Errors
// provider.ErrNotFound when the function is not loaded.
func (r *WasmRunner) Handler(name, namespace string) (http.Handler, error) {
	return r.d.Handler(name, namespace)
}

// Unload closes the function's replica once its calls end and forgets the
// function; unloading an unknown function is not an error.
//
// # Errors
// None today; the signature leaves room for drivers that can fail.
func (r *WasmRunner) Unload(ctx context.Context, name, namespace string) error {
	return r.d.Remove(ctx, name, namespace)
}

// Close unloads every function, waiting for their calls, and closes the
// engine.
//
// # Errors
// The engine's error when closing it fails.
func (r *WasmRunner) Close(ctx context.Context) error {
	return errors.Join(r.d.Close(ctx), r.engine.Close())
}
