package wasm

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"golang.org/x/sync/singleflight"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
)

// Engine defaults.
const (
	// DefaultMemoryLimit is the linear memory a function may use when its
	// Config.MemoryLimit is 0.
	DefaultMemoryLimit int64 = 512 << 20
	// DefaultTimeout is the wall time per request when Config.Timeout is 0.
	DefaultTimeout = 60 * time.Second
	// DefaultMaxResponseBytes caps a response when Config.MaxResponseBytes is 0.
	DefaultMaxResponseBytes int64 = 64 << 20
	// DefaultPoolSize is the number of instances the pooling allocator can
	// hold at once, across all functions of an engine.
	DefaultPoolSize = 256
	// DefaultKeepResident is how much of each pooled linear memory stays
	// resident between instances (see WithKeepResident). A Go guest's
	// snapshot is 5–6 MiB and its handler's heap grows from there: with 4
	// MiB kept, a fresh instance of a study function faulted in the rest on
	// every call. 8 MiB holds the working set of each of the study's
	// functions; measured per request, fresh instance, 2-core host: a guest
	// growing its heap by 2 MiB 1.32 → 0.38 ms p50 (BenchmarkKeepResident),
	// prime-numbers 1.1 → 0.58 ms CPU, matmul 1.9 → 1.1 ms, whatlang 2.9 →
	// 1.6 ms; 16 and 32 MiB gained nothing more.
	DefaultKeepResident = 8 << 20
	// DefaultEpochInterval is the period of the engine-wide epoch ticker,
	// hence the precision of timeouts and cancellation.
	DefaultEpochInterval = 2 * time.Millisecond

	// maxLinearMemory is the largest linear memory a wasm32 module can have.
	maxLinearMemory = 4 << 30
)

// Option configures an Engine.
type Option func(*options)

type options struct {
	logger        *slog.Logger
	pooling       bool
	poolSize      int
	keepResident  uint64
	epochInterval time.Duration
	httpClient    *http.Client
	hostAliases   map[string]string
	asyncRelease  bool
	observer      Observer
	cacheLimit    int64
	cacheLimitSet bool
}

// WithCacheLimit bounds the compiled modules (.cwasm files and their
// checksums) in the cache directory to n bytes (default
// diskcache.DefaultLimit; n ≤ 0: no bound). After writing a new one the engine removes the least
// recently used others until they fit (package diskcache), safely against
// other processes sharing the directory. A removed module still in use
// stays loaded; it is compiled again when next loaded.
func WithCacheLimit(n int64) Option {
	return func(o *options) { o.cacheLimit, o.cacheLimitSet = n, true }
}

// WithLogger sets the engine's logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithPooling turns the pooling instance allocator on or off (default on).
// When it cannot be set up the engine falls back to on-demand allocation and
// logs why.
func WithPooling(on bool) Option { return func(o *options) { o.pooling = on } }

// WithPoolSize sets how many instances the pooling allocator can hold at once
// across all functions (default DefaultPoolSize). Each slot reserves address
// space (not memory) for a 4 GiB linear memory plus guard pages.
func WithPoolSize(n int) Option { return func(o *options) { o.poolSize = n } }

// WithKeepResident sets how many bytes at the start of each pooled linear
// memory stay mapped between instances (default DefaultKeepResident). Pages
// kept resident are reset in place when an instance ends instead of being
// unmapped, so the next instance does not page-fault on them: a fresh
// snapshot instance of a Go echo guest then runs its request in ~60 µs of
// CPU instead of ~200 µs. The reset moves that cost to the release, which
// happens off the request path; total CPU per request stays about the same.
// The price is resident memory: up to this much per pool slot ever used,
// until Engine.ReleaseMemory. Ignored without pooling.
func WithKeepResident(n uint64) Option { return func(o *options) { o.keepResident = n } }

// WithAsyncRelease closes finished fresh instances in a background goroutine
// instead of before Invoke returns (default off). Releasing an instance
// resets its memory, ~100 µs for a Go guest: in the background that leaves
// the request's latency when the host has an idle core, but measured on a
// busy 2-core host it cost ~1.7x the CPU per request (cross-thread TLB
// shootdowns, scheduler wake-ups) for no latency gain.
func WithAsyncRelease(on bool) Option { return func(o *options) { o.asyncRelease = on } }

// WithEpochInterval sets the period of the engine-wide ticker that drives
// timeouts and cancellation (default DefaultEpochInterval).
func WithEpochInterval(d time.Duration) Option { return func(o *options) { o.epochInterval = d } }

// WithHTTPClient sets the client used for the guests' outbound HTTP
// (faas_http). The default has connect and overall timeouts, no proxy and no
// redirects. The allow-list is checked before this client is used.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.httpClient = c } }

// WithHostAlias makes the default faas_http client dial ip whenever a guest
// names host name (any letter case), as an /etc/hosts line would: local mode
// maps provider.HostAlias to 127.0.0.1, so a Wasm function reaches the
// host's services by the same name a container function does. The
// allow-list still matches the name as the guest wrote it, and the request
// keeps it as its Host header (and TLS server name). Aliases apply to the
// default client only, not to one given by WithHTTPClient.
func WithHostAlias(name, ip string) Option {
	return func(o *options) {
		if o.hostAliases == nil {
			o.hostAliases = map[string]string{}
		}
		o.hostAliases[strings.ToLower(name)] = ip
	}
}

// Engine compiles, caches and runs Wasm functions. It is safe for concurrent
// use. One engine per process is the intended use.
type Engine struct {
	cacheDir string
	log      *slog.Logger
	opts     options
	engine   *wasmtime.Engine
	linker   *wasmtime.Linker
	pooling  bool

	group    singleflight.Group
	verified sync.Map     // identities (fileIdentity) of cache files whose checksum matched
	slots    atomic.Int64 // sum of MaxConcurrency over open functions
	compiles atomic.Int64 // modules compiled from source (not loaded from cache)

	stopTick chan struct{}
	tickDone chan struct{}
	active   atomic.Int64  // calls running guest code; the ticker sleeps at 0
	ticks    atomic.Int64  // epochs advanced
	wake     chan struct{} // wakes the ticker when active leaves 0

	// With WithAsyncRelease, finished stores are closed by a background
	// goroutine, off the request path: releasing an instance resets its
	// memory (~100 µs for a Go guest).
	releaseMu sync.RWMutex // guards closed, sends on releases and loads.Add
	closed    bool
	// loads counts module loads running (a compile outlives a caller that
	// gave up on it); Close waits for them before it frees the engine.
	loads       sync.WaitGroup
	releases    chan release
	releaseDone chan struct{}

	// stores is held for reading by every store from its creation until it
	// is closed; ReleaseMemory holds it for writing, so it never touches a
	// pool slot an instance is using.
	stores sync.RWMutex
	// memories are the base addresses (unsafe.Pointer) of the pool slots'
	// linear memories that instances have used: what ReleaseMemory gives
	// back. Pooling only, where a slot's address stays valid until Close.
	memories sync.Map
}

// release is a store to close and the WaitGroup of its function.
type release struct {
	store *wasmtime.Store
	wg    *sync.WaitGroup
}

// NewEngine returns an engine that keeps compiled modules in cacheDir
// (created if missing) and starts its epoch ticker.
//
// # Errors
// When cacheDir cannot be created, the engine's host functions cannot be
// defined, or the linked wasmtime-go does not have the shape the cgo layer
// expects (see capi.go).
func NewEngine(cacheDir string, opts ...Option) (*Engine, error) {
	if err := checkCFields(); err != nil {
		return nil, fmt.Errorf("wasm engine: %w", err)
	}
	o := options{pooling: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.poolSize <= 0 {
		o.poolSize = DefaultPoolSize
	}
	if o.keepResident == 0 {
		o.keepResident = DefaultKeepResident
	}
	if o.epochInterval <= 0 {
		o.epochInterval = DefaultEpochInterval
	}
	if o.httpClient == nil {
		o.httpClient = defaultHTTPClient(o.hostAliases)
	}
	if !o.cacheLimitSet {
		o.cacheLimit = diskcache.DefaultLimit
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return nil, fmt.Errorf("wasm engine: cache dir: %w", err)
	}
	e := &Engine{cacheDir: cacheDir, log: o.logger, opts: o}
	e.pooling = o.pooling
	if e.pooling {
		if err := poolingPossible(o.poolSize); err != nil {
			e.log.Warn("wasm engine: pooling allocator unavailable, using on-demand allocation", "reason", err)
			e.pooling = false
		}
	}
	e.engine = wasmtime.NewEngineWithConfig(e.newConfig())
	linker, err := e.newLinker()
	if err != nil {
		e.engine.Close()
		return nil, fmt.Errorf("wasm engine: %w", err)
	}
	e.linker = linker
	e.stopTick = make(chan struct{})
	e.tickDone = make(chan struct{})
	e.wake = make(chan struct{}, 1)
	go e.tick()
	// Stores waiting to be closed hold pool slots: keep that bounded.
	e.releases = make(chan release, max(1, o.poolSize/8))
	e.releaseDone = make(chan struct{})
	if o.asyncRelease {
		go e.closeStores()
	} else {
		close(e.releaseDone)
	}
	e.log.Debug("wasm engine ready", "cache", cacheDir, "pooling", e.pooling, "pool_size", o.poolSize)
	return e, nil
}

// Pooling reports whether the engine uses the pooling instance allocator.
func (e *Engine) Pooling() bool { return e.pooling }

func (e *Engine) newConfig() *wasmtime.Config {
	cfg := wasmtime.NewConfig()
	cfg.SetEpochInterruption(codegen.epochInterruption)
	cfg.SetMemoryInitCOWSet(codegen.memoryInitCOW)
	cfg.SetCraneliftOptLevel(codegen.optLevel)
	cfg.SetWasmBulkMemory(codegen.bulkMemory)
	if e.pooling {
		enablePooling(cfg, uint32(e.opts.poolSize), maxLinearMemory, e.opts.keepResident)
	}
	return cfg
}

func (e *Engine) newLinker() (*wasmtime.Linker, error) {
	l := wasmtime.NewLinker(e.engine)
	if err := l.DefineWasi(); err != nil {
		return nil, fmt.Errorf("define wasi: %w", err)
	}
	l.AllowShadowing(true)
	if err := defineShadows(l); err != nil {
		return nil, fmt.Errorf("define clock_time_get and poll_oneoff: %w", err)
	}
	l.AllowShadowing(false)
	if err := defineHTTP(l); err != nil {
		return nil, fmt.Errorf("define faas_http: %w", err)
	}
	return l, nil
}

// tick advances the engine's epoch while guests run; they check their
// deadline, cancellation and output limits at every tick. An idle engine does
// not tick.
func (e *Engine) tick() {
	defer close(e.tickDone)
	t := time.NewTicker(e.opts.epochInterval)
	defer t.Stop()
	for {
		if e.active.Load() == 0 {
			t.Stop()
			select {
			case <-e.stopTick:
				return
			case <-e.wake:
			}
			t.Reset(e.opts.epochInterval)
		}
		select {
		case <-e.stopTick:
			return
		case <-t.C:
			e.engine.IncrementEpoch()
			e.ticks.Add(1)
		}
	}
}

// callStarted and callEnded bracket guest execution for the ticker.
func (e *Engine) callStarted() {
	if e.active.Add(1) == 1 {
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
}

func (e *Engine) callEnded() { e.active.Add(-1) }

// closeStores closes released stores until Close.
func (e *Engine) closeStores() {
	defer close(e.releaseDone)
	for r := range e.releases {
		e.closeStore(r.store)
		r.wg.Done()
	}
}

// release closes store — in the background with WithAsyncRelease, unless
// the queue is full or the engine is closing — and then marks it done in wg,
// which the caller has incremented.
func (e *Engine) release(store *wasmtime.Store, wg *sync.WaitGroup) {
	e.releaseMu.RLock()
	defer e.releaseMu.RUnlock()
	if e.opts.asyncRelease && !e.closed {
		select {
		case e.releases <- release{store, wg}:
			return
		default:
		}
	}
	e.closeStore(store)
	wg.Done()
}

// Close stops the engine's goroutines and releases the engine. Close every
// Function first; modules and functions must not be used after Close.
// Close waits for module loads still running (a compile a caller stopped
// waiting for), and later Compile calls fail with ErrClosed. Close is
// idempotent.
func (e *Engine) Close() error {
	e.releaseMu.Lock()
	if e.closed {
		e.releaseMu.Unlock()
		return nil
	}
	e.closed = true
	close(e.releases)
	e.releaseMu.Unlock()
	<-e.releaseDone
	close(e.stopTick)
	<-e.tickDone
	e.loads.Wait()
	e.linker.Close()
	e.engine.Close()
	return nil
}

// beginLoad registers a module load, unless the engine is closing; the
// caller calls e.loads.Done when the load ends.
func (e *Engine) beginLoad() bool {
	e.releaseMu.RLock()
	defer e.releaseMu.RUnlock()
	if e.closed {
		return false
	}
	e.loads.Add(1)
	return true
}
