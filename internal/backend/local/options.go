package local

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Option configures a Host.
type Option func(*options)

type options struct {
	log              *slog.Logger
	namespace        string
	timeout          time.Duration
	maxReplicas      uint64
	maxRequestBytes  int64
	maxResponseBytes int64
	concurrency      int
	now              func() time.Time
	containers       Driver
	connect          ConnectContainers
	containersErr    error // why connect failed
	version          provider.VersionInfo
	logLines         int
	registry         []oci.Option
	trustedKeys      *precompiled.KeyRing
	moduleCache      int64
}

func defaultOptions() options {
	return options{
		log:              slog.Default(),
		namespace:        provider.DefaultNamespace,
		timeout:          60 * time.Second,
		maxReplicas:      20,
		maxRequestBytes:  32 << 20,
		maxResponseBytes: 64 << 20,
		now:              time.Now,
		logLines:         defaultLogLines,
		moduleCache:      DefaultModuleCache,
	}
}

// buildOptions applies opts over the defaults and checks the result.
//
// # Errors
// provider.ErrInvalid for an invalid default namespace or a replica limit
// below 1.
func buildOptions(opts []Option) (options, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	d := defaultOptions()
	if o.logLines <= 0 {
		o.logLines = d.logLines
	}
	if o.now == nil {
		o.now = d.now
	}
	if o.log == nil {
		o.log = d.log
	}
	if err := provider.ValidateName("default namespace", o.namespace); err != nil {
		return o, err
	}
	if o.moduleCache < 0 {
		return o, fmt.Errorf("module cache %d bytes: must not be negative: %w", o.moduleCache, provider.ErrInvalid)
	}
	if o.maxReplicas < 1 {
		return o, fmt.Errorf("max replicas %d: must be at least 1: %w", o.maxReplicas, provider.ErrInvalid)
	}
	return o, nil
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithDefaultNamespace sets the namespace used when a request names none
// (default openfaas-fn). It is created when missing and cannot be deleted;
// openfaas-fn always exists too.
func WithDefaultNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithTimeout sets the wall-time limit of one invocation (default 60s). A
// request whose context ends earlier is stopped earlier.
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithMaxReplicas sets the most replicas a function may have (default 20,
// at least 1); com.openfaas.scale.max is clamped to it.
func WithMaxReplicas(n uint64) Option { return func(o *options) { o.maxReplicas = n } }

// WithMaxRequestBytes limits the body of one invocation (default 32 MiB; 0
// or less: no limit); larger requests are answered 413.
func WithMaxRequestBytes(n int64) Option { return func(o *options) { o.maxRequestBytes = n } }

// WithMaxResponseBytes limits what one Wasm invocation may write to stdout
// (default 64 MiB).
func WithMaxResponseBytes(n int64) Option { return func(o *options) { o.maxResponseBytes = n } }

// WithReplicaConcurrency sets how many requests one Wasm replica serves at
// once (default: the engine's default).
func WithReplicaConcurrency(n int) Option { return func(o *options) { o.concurrency = n } }

// WithClock replaces time.Now, for tests of logs and creation times.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithContainerDriver runs container functions with r instead of
// containerd (Host.Close closes it): for tests of the logic above a driver.
func WithContainerDriver(r Driver) Option { return func(o *options) { o.containers = r } }

// WithVersion sets the version Info reports.
func WithVersion(v provider.VersionInfo) Option { return func(o *options) { o.version = v } }

// WithLogLines sets how many log lines are kept per function (default 1000;
// 0 or less keeps the default).
func WithLogLines(n int) Option { return func(o *options) { o.logLines = n } }

// WithTrustedBuildKeys sets the keys whose signed precompiled modules the
// Wasm driver loads instead of compiling (default none: every module is
// compiled, and precompiled layers are not even downloaded). A Wasm image's
// precompiled layer is used only when one of these keys signed it for the
// module's exact bytes and the engine's fingerprint; otherwise it is
// ignored (debug log with the reason) and the module is compiled.
func WithTrustedBuildKeys(r *precompiled.KeyRing) Option {
	return func(o *options) { o.trustedKeys = r }
}

// DefaultModuleCache is the default of WithModuleCache.
const DefaultModuleCache = 512 << 20

// WithModuleCache bounds the Wasm modules kept, with their compiled code,
// after the last function using them is gone (default DefaultModuleCache
// bytes; 0 keeps none). Modules are kept by content: an image whose digest
// was seen before is deployed without a pull or a compile, after one
// request to resolve its tag to a digest. The bound counts module bytes
// plus compiled code (memory-mapped from the engine's AOT cache) of every
// kept module, those in use included; the least recently used idle
// modules go first.
func WithModuleCache(bytes int64) Option { return func(o *options) { o.moduleCache = bytes } }
