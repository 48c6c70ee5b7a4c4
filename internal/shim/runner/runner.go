package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/precompiled/layer"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// Option configures a Runner.
type Option func(*options)

type options struct {
	logger       *slog.Logger
	guestLog     io.Writer
	keepResident uint64
}

// WithLogger sets where the runner's own messages go (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithGuestLog sets where the module's stderr lines go, one per line
// (default os.Stderr).
func WithGuestLog(w io.Writer) Option { return func(o *options) { o.guestLog = w } }

// WithKeepResident sets how much of each pooled linear memory stays resident
// between instances (see wasm.WithKeepResident), instead of the size the
// runner derives from the config (see New).
func WithKeepResident(n uint64) Option { return func(o *options) { o.keepResident = n } }

// Runner serves one function module over HTTP.
type Runner struct {
	cfg    runspec.Config
	log    *slog.Logger
	engine *wasm.Engine
	module *wasm.Module
	fn     *wasm.Function
	logMu  sync.Mutex
	out    io.Writer
	// idle fires releaseIdle once the function has had no call for
	// idleRelease; every call's end re-arms it. Nil when it never releases.
	idle        *time.Timer
	idleRelease time.Duration
}

// New compiles (or loads from cfg.CacheDir) the module at cfg.ModulePath and
// prepares it to serve with cfg's limits.
//
// The runner's engine serves this one function, so its pooling allocator is
// sized for it: a few slots (see poolSize) that keep up to
// DefaultKeepResident bytes of linear memory resident between instances,
// less under a memory limit (see keepResident).
//
// # Errors
// Errors reading the module, wasm.ErrInvalidModule or wasm.ErrNotFunction for
// bytes that are not a function module, and engine set-up errors.
func New(ctx context.Context, cfg runspec.Config, opts ...Option) (*Runner, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.guestLog == nil {
		o.guestLog = os.Stderr
	}
	if cfg.Addr == "" {
		cfg.Addr = runspec.DefaultAddr
	}
	if cfg.MaxRequestBytes == 0 {
		cfg.MaxRequestBytes = runspec.DefaultMaxRequestBytes
	}
	code, err := os.ReadFile(cfg.ModulePath)
	if err != nil {
		return nil, fmt.Errorf("runner %s: %w", cfg.Name, err)
	}
	if o.keepResident == 0 {
		o.keepResident = keepResident(cfg)
	}
	engine, err := wasm.NewEngine(cfg.CacheDir, wasm.WithLogger(o.logger), wasm.WithCacheLimit(cfg.CacheLimit),
		wasm.WithPoolSize(poolSize(cfg)), wasm.WithKeepResident(o.keepResident))
	if err != nil {
		return nil, fmt.Errorf("runner %s: %w", cfg.Name, err)
	}
	r := &Runner{cfg: cfg, log: o.logger, engine: engine, out: o.guestLog, idleRelease: cfg.IdleRelease}
	if r.idleRelease == 0 {
		r.idleRelease = runspec.DefaultIdleRelease
	}
	if r.idleRelease > 0 {
		r.idle = time.AfterFunc(r.idleRelease, r.releaseIdle)
		r.idle.Stop()
	}
	start := time.Now()
	r.module, err = engine.Compile(ctx, code)
	if err != nil {
		engine.Close()
		return nil, fmt.Errorf("runner %s: %w", cfg.Name, err)
	}
	mode := wasm.ModeFresh
	if cfg.Warm {
		mode = wasm.ModeWarm
	}
	r.fn, err = engine.NewFunction(r.module, wasm.Config{
		Name:           cfg.Name,
		Namespace:      cfg.Namespace,
		Env:            cfg.Env,
		SecretsDir:     cfg.SecretsDir,
		MemoryLimit:    cfg.MemoryLimit,
		Timeout:        cfg.Timeout,
		MaxConcurrency: cfg.MaxConcurrency,
		AllowedHosts:   cfg.AllowedHosts,
		Mode:           mode,
		Log:            r.guestLine,
	})
	if err != nil {
		r.module.Close()
		engine.Close()
		return nil, fmt.Errorf("runner %s: %w", cfg.Name, err)
	}
	r.log.Info("module loaded", "function", cfg.Name, "digest", r.module.Digest(),
		"shape", r.module.Shape().String(), "mode", mode.String(), "keep_resident", o.keepResident,
		"took", time.Since(start).Round(time.Microsecond))
	return r, nil
}

func (r *Runner) guestLine(line string) {
	r.logMu.Lock()
	defer r.logMu.Unlock()
	fmt.Fprintln(r.out, line)
}

// Serve answers requests on l until ctx ends, then stops accepting and waits
// up to grace for calls in progress.
//
// # Errors
// Errors of the HTTP server other than its orderly shutdown.
func (r *Runner) Serve(ctx context.Context, l net.Listener, grace time.Duration) error {
	// A request may take the function's timeout to send its body and as
	// long again to run and be written; idle keep-alive connections from
	// the provider's proxy are closed after two minutes.
	perCall := r.cfg.Timeout
	if perCall <= 0 {
		perCall = wasm.DefaultTimeout
	}
	srv := &http.Server{
		Handler:           r.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       perCall,
		WriteTimeout:      2*perCall + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	r.log.Info("serving", "function", r.cfg.Name, "addr", l.Addr().String())
	// The module's bytes (megabytes for a Go guest) read by New are garbage
	// now that the compiled form is mapped from the cache: give their pages
	// back to the node now, off the path to the first response, instead of
	// waiting for the scavenger.
	go debug.FreeOSMemory()
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", r.cfg.Name, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("serve %s: shutdown: %w", r.cfg.Name, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", r.cfg.Name, err)
	}
	return nil
}

// Addr is the configured listen address.
func (r *Runner) Addr() string { return r.cfg.Addr }

// releaseIdle gives back to the node what the runner keeps for the next
// call while no call runs: the pool slots' resident linear memory
// (wasm.Engine.ReleaseMemory; for a Go guest ~5 MiB of copied-on-write
// snapshot pages) and the Go heap's free pages. The next call pays the
// page faults again (see runspec.DefaultIdleRelease). A call running now
// re-arms the timer when it ends, so the release is only skipped.
func (r *Runner) releaseIdle() {
	released, err := r.engine.ReleaseMemory()
	if err != nil {
		r.log.Warn("release idle memory", "function", r.cfg.Name, "err", err)
	}
	if released {
		debug.FreeOSMemory()
		r.log.Debug("idle memory released", "function", r.cfg.Name)
	}
}

// Close releases the function, the module and the engine.
func (r *Runner) Close() error {
	if r.idle != nil {
		r.idle.Stop()
	}
	err := r.fn.Close()
	r.module.Close()
	return errors.Join(err, r.engine.Close())
}

// Handler answers GET /_/health with 200 and every other request by invoking
// the function.
func (r *Runner) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/_/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "OK")
	})
	mux.HandleFunc("/", r.invoke)
	return mux
}

func (r *Runner) invoke(w http.ResponseWriter, req *http.Request) {
	start := time.Now()
	if r.idle != nil {
		defer r.idle.Reset(r.idleRelease)
	}
	body, ok := wasm.ReadBody(w, req, r.cfg.MaxRequestBytes)
	if !ok {
		return
	}
	resp, err := r.fn.Invoke(req.Context(), &wasm.Request{
		Method: req.Method, Path: req.URL.Path, RawQuery: req.URL.RawQuery, Host: req.Host,
		RemoteAddr: req.RemoteAddr, Header: req.Header, Body: body,
	})
	if err != nil {
		r.log.Error("invocation failed", "function", r.cfg.Name, "status", wasm.ErrorStatus(err), "err", err)
		wasm.WriteError(w, r.cfg.Name, err)
		return
	}
	wasm.WriteResponse(w, resp.Status, resp.Header, resp.Body, time.Since(start))
}

// Where Precompile's module came from (Prepared.From).
const (
	FromCompile = "compiled"
	FromLayer   = "signed precompiled layer"
	FromCache   = "cache"
)

// Prepared says how Precompile put a module into the cache.
type Prepared struct {
	// Digest is the module's digest ("sha256:<hex>").
	Digest string
	// From is FromCompile, FromLayer (the layer was trusted and nothing
	// was compiled) or FromCache (no trusted layer, nothing compiled:
	// another process had put it there; the shim runs -precompile only
	// for modules the cache lacks).
	From string
}

// Precompile puts cfg's module into cfg.CacheDir (a no-op when it is
// cached): it installs the image's precompiled layer (cfg.PrecompiledLayer)
// when a key of cfg.TrustedBuildKeys signed it for this module and this
// engine, under the provider's rule (precompiled's KeyRing.Check: engine
// fingerprint, module digest, signature); otherwise, and when wasmtime
// rejects the layer, it compiles the module, logging why the layer was not
// used. The shim runs it, through faaswasm-runner -precompile, outside the
// container's cgroup: compiling a Go module needs far more memory than
// serving it, and a small pod memory limit must not OOM-kill the first
// start of a function on a node.
//
// # Errors
// As New. An unusable precompiled layer is not an error.
func Precompile(ctx context.Context, cfg runspec.Config, opts ...Option) (Prepared, error) {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	code, err := os.ReadFile(cfg.ModulePath)
	if err != nil {
		return Prepared{}, fmt.Errorf("precompile %s: %w", cfg.Name, err)
	}
	var native []byte
	notUsed := cfg.NoPrecompiledLayer
	if cfg.PrecompiledLayer != nil {
		if native, err = trustedLayer(cfg, code); err != nil {
			notUsed = err.Error()
		}
	}
	if notUsed != "" {
		o.logger.Info("precompiled layer not used, compiling the module", "function", cfg.Name, "reason", notUsed)
	}
	var loads loadObserver
	engine, err := wasm.NewEngine(cfg.CacheDir, wasm.WithLogger(o.logger), wasm.WithCacheLimit(cfg.CacheLimit),
		wasm.WithPooling(false), wasm.WithObserver(&loads))
	if err != nil {
		return Prepared{}, fmt.Errorf("precompile %s: %w", cfg.Name, err)
	}
	defer engine.Close()
	start := time.Now()
	m, err := engine.CompilePrecompiled(ctx, code, native)
	if err != nil {
		return Prepared{}, fmt.Errorf("precompile %s: %w", cfg.Name, err)
	}
	defer m.Close()
	p := Prepared{Digest: m.Digest(), From: FromCompile}
	switch {
	case loads.cached.Load() && native != nil:
		p.From = FromLayer
	case loads.cached.Load():
		p.From = FromCache
	}
	o.logger.Info("module ready", "function", cfg.Name, "digest", p.Digest, "from", p.From, "took", time.Since(start).Round(time.Millisecond))
	return p, nil
}

// trustedLayer returns the native code of cfg.PrecompiledLayer when a key
// of cfg.TrustedBuildKeys signed it for code and this engine, else an
// error saying why not. The layer is read and checked as the provider
// reads and checks it from a registry (packages precompiled/layer and
// precompiled).
func trustedLayer(cfg runspec.Config, code []byte) ([]byte, error) {
	ring, err := precompiled.LoadKeyRing(cfg.TrustedBuildKeys...)
	if err != nil {
		return nil, fmt.Errorf("trusted build keys: %w", err)
	}
	claims, err := precompiled.ParseAnnotations(cfg.PrecompiledLayer.Annotations)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(cfg.PrecompiledLayer.Path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	native, err := layer.Read(io.LimitReader(f, layer.MaxSize+1), layer.MaxSize)
	if err != nil {
		return nil, err
	}
	if err := ring.Check(claims, native, precompiled.Digest(code), wasm.Fingerprint()); err != nil {
		return nil, err
	}
	return native, nil
}

// loadObserver records whether the engine's module load was a cache hit
// (an installed precompiled layer counts as one).
type loadObserver struct{ cached atomic.Bool }

func (l *loadObserver) ModuleLoaded(cached bool)     { l.cached.Store(cached) }
func (l *loadObserver) GuestCallDone(string, string) {}
