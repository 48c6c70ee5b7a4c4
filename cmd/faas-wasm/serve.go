package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/faas-wasm/faas-wasm/internal/autoscale"
	"github.com/faas-wasm/faas-wasm/internal/backend/k8s"
	"github.com/faas-wasm/faas-wasm/internal/backend/local"
	"github.com/faas-wasm/faas-wasm/internal/backend/local/containers"
	"github.com/faas-wasm/faas-wasm/internal/config"
	"github.com/faas-wasm/faas-wasm/internal/console"
	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/internal/metrics"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/provider"
)

// backend is a provider.Backend that must be closed on shutdown.
type backend interface {
	provider.Backend
	Close(ctx context.Context) error
}

// serve parses the flags, builds the backend and serves the provider API
// until ctx ends, then drains in-flight requests and closes the backend.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := config.Parse(args, os.Getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)

	auth, err := resolveAuth(cfg, log)
	if err != nil {
		return err
	}
	m := metrics.New()
	b, err := newBackend(ctx, cfg, log, m)
	if err != nil {
		return err
	}
	mb := m.Wrap(b, log)
	aq, err := openAsync(ctx, cfg, log, m)
	if err != nil {
		return errors.Join(err, b.Close(context.Background()))
	}
	stopScaler, err := startAutoscaler(ctx, cfg, mb, m, log)
	if err != nil {
		return errors.Join(err, aq.close(context.Background()), b.Close(context.Background()))
	}
	defer stopScaler()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen on %s: %w", cfg.Addr, err), aq.close(context.Background()), b.Close(context.Background()))
	}
	defer ln.Close()
	// The console's comparisons call functions through this listener.
	ui, err := console.New(mb, console.Options{
		ProviderURL:      "http://" + loopback(ln.Addr()),
		Inspect:          inspectImage,
		DefaultNamespace: cfg.Namespace,
		MaxBodyBytes:     cfg.MaxBodyBytes,
		Logger:           log,
	})
	if err != nil {
		return errors.Join(err, aq.close(context.Background()), b.Close(context.Background()))
	}
	router := handlers.NewRouter(mb, handlers.Config{
		DefaultNamespace:     cfg.Namespace,
		Auth:                 auth.Creds,
		MaxBodyBytes:         cfg.MaxBodyBytes,
		ScaleFromZeroTimeout: cfg.ScaleFromZero,
		Logger:               log,
		Observer:             m,
		Metrics:              m.Handler(),
		MaxReplicas:          cfg.MaxReplicas,
		Console:              ui,
		GatewayInfo:          cfg.Mode == config.ModeLocal,
		Async:                aq.enqueuer(),
	})
	if aq != nil {
		// Queued calls run through the /function/ route, as synchronous ones do.
		if err := aq.Start(ctx, router); err != nil {
			return errors.Join(err, aq.close(context.Background()), b.Close(context.Background()))
		}
	}
	srv := handlers.NewServer(cfg.Addr, router, handlers.ServerTimeouts{
		ReadHeader: cfg.ReadTimeout,
		Request:    cfg.ReadTimeout + cfg.WriteTimeout + cfg.FunctionTimeout,
	}, log)

	log.Info("faas-wasm serving", "addr", ln.Addr().String(), "mode", cfg.Mode, "version", version,
		"state_dir", cfg.StateDir, "auth", auth.Source)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err = <-served:
	case <-ctx.Done():
		log.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
		ui.Close() // its comparisons call through the listener that closes now
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		err = srv.Shutdown(sctx)
		if errors.Is(err, context.DeadlineExceeded) {
			// Closing the connections cancels the contexts of the calls
			// still running, so the guests stop and the backend closes.
			log.Warn("shutdown timeout reached: cancelling the requests still in flight", "timeout", cfg.ShutdownTimeout)
			err = srv.Close()
		}
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	ui.Close()
	stopScaler()
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if cerr := aq.close(actx); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close async queue: %w", cerr))
	}
	if cerr := b.Close(context.WithoutCancel(ctx)); cerr != nil {
		err = errors.Join(err, fmt.Errorf("close backend: %w", cerr))
	}
	log.Info("faas-wasm stopped")
	return err
}

// loopback is addr with an unspecified IP (0.0.0.0, ::) replaced by
// 127.0.0.1, so the provider can call itself.
func loopback(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// inspectImage tells the console an image's kind and size, read from its
// registry (manifest and config only).
func inspectImage(ctx context.Context, image string) (console.ImageInfo, error) {
	kind, info, err := oci.Inspect(ctx, image)
	if err != nil {
		return console.ImageInfo{}, err
	}
	return console.ImageInfo{Kind: kind.String(), Size: info.Size}, nil
}

// startAutoscaler runs the autoscaler over b with m as its load source;
// with --autoscale=false it only scales idle functions to zero (it is
// their one owner). The returned function stops it and waits for
// its loop to end; it may be called more than once.
func startAutoscaler(ctx context.Context, cfg config.Config, b provider.Backend, m *metrics.Metrics, log *slog.Logger) (stop func(), err error) {
	if !cfg.Autoscale {
		log.Info("scaling on load off (--autoscale=false); idle functions still scale to zero")
	}
	as, err := autoscale.New(b, m,
		autoscale.WithLoadScaling(cfg.Autoscale),
		autoscale.WithInterval(cfg.AutoscaleEvery),
		autoscale.WithCooldown(cfg.ScaleDownDelay),
		autoscale.WithMaxReplicas(cfg.MaxReplicas),
		autoscale.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("autoscaler: %w", err)
	}
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		as.Run(actx)
	}()
	return func() { cancel(); <-done }, nil
}

// containerdNamespace is the containerd namespace holding container functions
// in local mode.
const containerdNamespace = "openfaas-fn"

// newBackend builds the backend the configuration asks for; m observes its
// Wasm engine (module cache, guest call outcomes).
func newBackend(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics) (backend, error) {
	if cfg.Mode != config.ModeLocal && cfg.Mode != config.ModeKubernetes {
		return nil, fmt.Errorf("--mode %s: this build serves only the local and kubernetes modes", cfg.Mode)
	}
	var wasmOpts []local.Option
	if len(cfg.TrustedBuildKeys) > 0 {
		ring, err := precompiled.LoadKeyRing(cfg.TrustedBuildKeys...)
		if err != nil {
			return nil, fmt.Errorf("--trusted-build-key: %w", err)
		}
		wasmOpts = append(wasmOpts, local.WithTrustedBuildKeys(ring))
		log.Info("precompiled Wasm modules signed by these keys are loaded instead of compiled",
			"keys", ring.IDs(), "engine", wasm.Fingerprint())
	}
	wasmOpts = append(wasmOpts,
		local.WithLogger(log),
		local.WithDefaultNamespace(cfg.Namespace),
		local.WithTimeout(cfg.FunctionTimeout),
		local.WithMaxReplicas(cfg.MaxReplicas),
		local.WithMaxRequestBytes(cfg.MaxBodyBytes),
		local.WithModuleCache(cfg.WasmModuleCache))
	if cfg.Mode == config.ModeKubernetes {
		return newKubernetesBackend(ctx, cfg, log, m, wasmOpts)
	}
	// Wasm functions reach host services by the name container functions
	// use (their /etc/hosts maps it to the bridge gateway).
	engine, err := wasm.NewEngine(cfg.CacheDir, wasm.WithLogger(log), wasm.WithObserver(m),
		wasm.WithCacheLimit(cfg.CacheLimit), wasm.WithHostAlias(provider.HostAlias, "127.0.0.1"))
	if err != nil {
		return nil, fmt.Errorf("wasm engine: %w", err)
	}
	b, err := local.New(ctx, cfg.StateDir, engine, append(wasmOpts,
		local.WithVersion(provider.VersionInfo{SHA: commit, Release: version}),
		local.WithContainers(func(ctx context.Context, sink containers.LogSink) (*containers.Manager, error) {
			return containers.New(ctx, cfg.ContainerdSocket,
				containers.WithNamespace(containerdNamespace),
				containers.WithStateDir(filepath.Join(cfg.StateDir, "containers")),
				containers.WithLogSink(sink),
				containers.WithLogger(log))
		}))...)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("local backend: %w", err), engine.Close())
	}
	return closeAfter{b, engine.Close}, nil
}

// newKubernetesBackend builds the kubernetes backend; unless
// --cold-wasm-concurrency=0 it serves calls to Wasm functions without a
// ready pod in its own Wasm engine, with local mode's Wasm driver.
func newKubernetesBackend(ctx context.Context, cfg config.Config, log *slog.Logger, m *metrics.Metrics, wasmOpts []local.Option) (backend, error) {
	opts := []k8s.Option{
		k8s.WithLogger(log),
		k8s.WithNamespace(cfg.Namespace),
		k8s.WithRuntimeClass(cfg.RuntimeClass),
		k8s.WithMaxReplicas(cfg.MaxReplicas),
		k8s.WithVersion(provider.VersionInfo{SHA: commit, Release: version}),
	}
	closeWasm := func() error { return nil }
	if cfg.ColdWasmConcurrency > 0 {
		runner, err := local.NewWasmRunner(cfg.CacheDir, []wasm.Option{wasm.WithLogger(log), wasm.WithObserver(m), wasm.WithCacheLimit(cfg.CacheLimit)}, wasmOpts...)
		if err != nil {
			return nil, err
		}
		closeWasm = func() error { return runner.Close(context.Background()) }
		opts = append(opts, k8s.WithColdServe(k8s.ColdServe{
			Runner:        runner,
			Concurrency:   cfg.ColdWasmConcurrency,
			Memory:        cfg.ColdWasmMemory,
			DefaultMemory: wasm.DefaultMemoryLimit,
			Dir:           filepath.Join(cfg.StateDir, "cold", "secrets"),
			Observer:      m,
		}))
		log.Info("calls to Wasm functions without a ready pod are served by the provider",
			"concurrency", cfg.ColdWasmConcurrency, "memory_bytes", cfg.ColdWasmMemory)
	}
	b, err := k8s.NewFromKubeconfig(ctx, cfg.Kubeconfig, opts...)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("kubernetes backend: %w", err), closeWasm())
	}
	return closeAfter{b, closeWasm}, nil
}

// closeAfter closes the Wasm engine (and what runs on it) after the
// backend that uses it.
type closeAfter struct {
	backend
	then func() error
}

func (c closeAfter) Close(ctx context.Context) error {
	return errors.Join(c.backend.Close(ctx), c.then())
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.Level()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
