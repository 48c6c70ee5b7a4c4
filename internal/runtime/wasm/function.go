package wasm

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Mode is how a reactor module's instances are used.
type Mode int

const (
	// ModeFresh (default): a new instance per request — full isolation.
	ModeFresh Mode = iota
	// ModeWarm: one instance per concurrency slot, reused across requests;
	// see the package documentation for the isolation trade-off. Reactor
	// and snapshot modules only.
	ModeWarm
)

// String returns "fresh" or "warm".
func (m Mode) String() string {
	if m == ModeWarm {
		return "warm"
	}
	return "fresh"
}

// Config describes one deployed function.
type Config struct {
	// Name and Namespace identify the function in logs and errors.
	Name, Namespace string
	// Env holds the function's envVars.
	Env map[string]string
	// SecretsDir is a host directory preopened read-only at
	// provider.SecretsPath. "" (a function without secrets): no preopen,
	// the guest has no filesystem at all.
	SecretsDir string
	// MemoryLimit is the linear memory per instance in bytes (0 =
	// DefaultMemoryLimit).
	MemoryLimit int64
	// Timeout is the wall time per request (0 = DefaultTimeout); the
	// context's deadline applies too.
	Timeout time.Duration
	// MaxResponseBytes caps a response (0 = DefaultMaxResponseBytes).
	MaxResponseBytes int64
	// MaxConcurrency bounds the instances running at once for this function
	// (0 = 2*GOMAXPROCS). Extra calls wait until their context ends.
	MaxConcurrency int
	// AllowedHosts is the outbound HTTP allow-list ("host" or "host:port");
	// empty denies all.
	AllowedHosts []string
	// Mode selects fresh or warm instances for reactor modules.
	Mode Mode
	// Log receives each line the guest wrote to stderr (may be nil). It is
	// called after the guest stops, before Invoke returns, with at most the
	// last 1 MiB of that call's stderr.
	Log func(line string)
}

// Function is a module deployed with a Config. It is safe for concurrent use.
type Function struct {
	id          string // name.namespace, for errors
	engine      *Engine
	module      *Module
	cfg         Config
	env         []envVar
	wasi        wasiContext // a reactor's WASI context: envVars, no arguments
	argv0       []byte      // a command's argv[0]: the name, NUL-terminated
	contentType string
	slots       chan *slot
	pending     sync.WaitGroup // fresh stores not yet closed by the engine

	mu        sync.RWMutex // guards closed; held for reading by calls in progress
	closed    bool
	done      chan struct{} // closed by Close: waiting calls give up
	closeOnce sync.Once
}

// NewFunction prepares m to serve requests with cfg: one slot per unit of
// MaxConcurrency, each given buffers for the guest's stdout and stderr on
// first use. It creates no instance and does no I/O.
//
// # Errors
// ErrNotFunction when cfg asks for warm mode on a command module;
// ErrMemoryLimit when cfg.MemoryLimit is below the module's initial memory;
// an error when cfg has negative limits.
func (e *Engine) NewFunction(m *Module, cfg Config) (*Function, error) {
	id := cfg.Name
	if cfg.Namespace != "" {
		id += "." + cfg.Namespace
	}
	if cfg.Mode == ModeWarm && m.shape == ShapeCommand {
		return nil, fmt.Errorf("function %s: warm mode needs a reactor module (exports faas_handle, not _start; the builder's com.openfaas.wasm.shape: reactor or snapshot), %s is a command module: %w",
			id, m.digest, ErrNotFunction)
	}
	if cfg.MemoryLimit < 0 || cfg.Timeout < 0 || cfg.MaxResponseBytes < 0 || cfg.MaxConcurrency < 0 {
		return nil, fmt.Errorf("function %s: negative limit in config", id)
	}
	if cfg.MemoryLimit == 0 {
		cfg.MemoryLimit = DefaultMemoryLimit
	}
	if cfg.MemoryLimit > maxLinearMemory {
		cfg.MemoryLimit = maxLinearMemory
	}
	if uint64(cfg.MemoryLimit) < m.minMemory {
		return nil, fmt.Errorf("function %s: memory limit %d bytes is below the %d bytes the module starts with: %w",
			id, cfg.MemoryLimit, m.minMemory, ErrMemoryLimit)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxResponseBytes == 0 {
		cfg.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if cfg.MaxConcurrency == 0 {
		cfg.MaxConcurrency = 2 * runtime.GOMAXPROCS(0)
	}
	hosts := make([]string, 0, len(cfg.AllowedHosts))
	for _, h := range cfg.AllowedHosts {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			hosts = append(hosts, h)
		}
	}
	cfg.AllowedHosts = hosts
	f := &Function{
		id:          id,
		engine:      e,
		module:      m,
		cfg:         cfg,
		env:         sortedEnv(cfg.Env),
		contentType: "text/plain; charset=utf-8",
		slots:       make(chan *slot, cfg.MaxConcurrency),
		done:        make(chan struct{}),
	}
	f.wasi = wasiContext{env: appendEnv(nil, f.env), nenv: len(f.env), dir: secretsPreopen(cfg.SecretsDir)}
	f.argv0 = appendCString(nil, cfg.Name)
	if ct := cfg.Env["content_type"]; ct != "" {
		f.contentType = ct
	}
	for range cfg.MaxConcurrency {
		f.slots <- newSlot(f)
	}
	if n := e.slots.Add(int64(cfg.MaxConcurrency)); e.pooling && n > int64(e.opts.poolSize) {
		e.log.Warn("wasm functions may run more instances at once than the pool holds; extra instantiations will fail",
			"function", id, "max_concurrency_total", n, "pool_size", e.opts.poolSize)
	}
	return f, nil
}

// Invoke runs the function for one request and returns its response. It
// waits for a free concurrency slot while ctx allows.
//
// # Errors
//   - *ExitError: the guest exited non-zero or faas_handle returned non-zero;
//   - *TrapError: the guest trapped;
//   - ErrTimeout: the wall-time limit or ctx's deadline was hit while the
//     guest ran (also wraps context.DeadlineExceeded in the latter case);
//   - ErrMemoryLimit (with the *ExitError or *TrapError): the guest died after
//     its memory was refused past Config.MemoryLimit;
//   - ErrResponseTooLarge: stdout exceeded Config.MaxResponseBytes, or the
//     guest wrote more than 16 MiB to stderr in one call;
//   - ctx's error when it ended while waiting or running;
//   - ErrClosed after Close.
func (f *Function) Invoke(ctx context.Context, req *Request) (_ *Response, err error) {
	if o := f.engine.opts.observer; o != nil {
		defer func() { o.GuestCallDone(f.id, Outcome(err)) }()
	}
	f.mu.RLock()
	if f.closed {
		f.mu.RUnlock()
		return nil, fmt.Errorf("invoke %s: %w", f.id, ErrClosed)
	}
	defer f.mu.RUnlock()
	var s *slot
	select {
	case s = <-f.slots:
	case <-ctx.Done():
		return nil, fmt.Errorf("invoke %s: waiting for a free instance: %w", f.id, context.Cause(ctx))
	case <-f.done:
		return nil, fmt.Errorf("invoke %s: %w", f.id, ErrClosed)
	}
	defer func() { f.slots <- s }()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.id, context.Cause(ctx))
	}
	stdout, err := s.run(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.id, err)
	}
	resp, err := ParseCGIResponse(stdout, f.contentType)
	if err != nil {
		return nil, fmt.Errorf("invoke %s: %w", f.id, err)
	}
	return resp, nil
}

// Close waits for running calls, then releases the function's instances.
// Later Invoke calls fail with ErrClosed. Close is idempotent.
func (f *Function) Close() error {
	f.closeOnce.Do(func() { close(f.done) })
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	f.engine.slots.Add(-int64(f.cfg.MaxConcurrency))
	f.pending.Wait()
	for range cap(f.slots) {
		(<-f.slots).free()
	}
	return nil
}

// secretsPreopen is the one rule for a guest's filesystem: the host
// directory dir, as wasiContext.dir, preopened read-only at
// provider.SecretsPath; nil, no preopen and so no filesystem, when dir is ""
// (a function without secrets).
func secretsPreopen(dir string) []byte {
	if dir == "" {
		return nil
	}
	return appendCString(nil, dir)
}

// emitStderr hands each stderr line to Config.Log.
func (f *Function) emitStderr(b []byte) {
	if f.cfg.Log == nil || len(b) == 0 {
		return
	}
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		f.cfg.Log(strings.TrimSuffix(line, "\r"))
	}
}

// stderrTail returns at most the last 2 KiB of b, from a line start if possible.
func stderrTail(b []byte) string {
	const max = 2 << 10
	if len(b) > max {
		b = b[len(b)-max:]
		for i, c := range b {
			if c == '\n' && i+1 < len(b) {
				b = b[i+1:]
				break
			}
		}
	}
	return strings.TrimRight(string(b), "\n")
}
