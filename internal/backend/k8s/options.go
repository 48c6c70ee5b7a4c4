package k8s

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/provider"
)

// Option configures a Cluster.
type Option func(*options)

type options struct {
	log          *slog.Logger
	namespace    string
	runtimeClass string
	maxReplicas  uint64
	version      provider.VersionInfo
	inspect      func(context.Context, string) (runtime, pinned string, err error)
	resolve      func(context.Context, string) (pinned string, err error)
	registry     []oci.Option
	now          func() time.Time
	syncTimeout  time.Duration
	resync       time.Duration
	transport    http.RoundTripper
	pollInterval time.Duration
	cold         *ColdServe
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithNamespace sets the default function namespace (default
// provider.DefaultNamespace). It is always listed and cannot be deleted.
func WithNamespace(ns string) Option { return func(o *options) { o.namespace = ns } }

// WithRuntimeClass sets the RuntimeClass of Wasm pods (default "faas-wasm").
func WithRuntimeClass(name string) Option { return func(o *options) { o.runtimeClass = name } }

// WithMaxReplicas caps every function's replica count (default 20).
func WithMaxReplicas(n uint64) Option { return func(o *options) { o.maxReplicas = n } }

// WithVersion sets the version reported by Info.
func WithVersion(v provider.VersionInfo) Option { return func(o *options) { o.version = v } }

// WithRegistryOptions sets how images are inspected when a deployment does
// not say its runtime (insecure registries, credentials, timeouts).
func WithRegistryOptions(opts ...oci.Option) Option {
	return func(o *options) { o.registry = append(o.registry, opts...) }
}

// WithImageInspector replaces the registry lookups of a deploy: f tells a
// Wasm image from a container image when the com.openfaas.runtime
// annotation is absent (it returns provider.RuntimeWasm or
// provider.RuntimeContainer), and images are not pinned to their digests
// (pods run the image as named).
func WithImageInspector(f func(ctx context.Context, image string) (string, error)) Option {
	return func(o *options) {
		o.inspect = func(ctx context.Context, image string) (string, string, error) {
			runtime, err := f(ctx, image)
			return runtime, "", err
		}
		o.resolve = func(context.Context, string) (string, error) { return "", nil }
	}
}

// WithClock sets the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithSyncTimeout bounds how long New waits for the informer caches (default 60s).
func WithSyncTimeout(d time.Duration) Option { return func(o *options) { o.syncTimeout = d } }

// WithResync sets the informers' resync period (default 0: no resync).
func WithResync(d time.Duration) Option { return func(o *options) { o.resync = d } }

// WithTransport sets the transport used to reach function pods (default: a
// pooled keep-alive transport shared by every function).
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithLogPollInterval sets how often a followed log stream looks for new
// pods (default 1s).
func WithLogPollInterval(d time.Duration) Option { return func(o *options) { o.pollInterval = d } }

func newOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.log == nil {
		o.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.namespace == "" {
		o.namespace = provider.DefaultNamespace
	}
	if o.runtimeClass == "" {
		o.runtimeClass = "faas-wasm"
	}
	if o.maxReplicas == 0 {
		o.maxReplicas = 20
	}
	if o.inspect == nil {
		o.inspect = ociInspect(o.registry)
	}
	if o.resolve == nil {
		o.resolve = func(ctx context.Context, ref string) (string, error) {
			_, pinned, err := oci.Resolve(ctx, ref, o.registry...)
			return pinned, err
		}
	}
	if o.now == nil {
		o.now = time.Now
	}
	if o.syncTimeout <= 0 {
		o.syncTimeout = 60 * time.Second
	}
	if o.transport == nil {
		o.transport = newTransport()
	}
	if o.pollInterval <= 0 {
		o.pollInterval = time.Second
	}
	return o
}

// ociInspect asks the image's registry whether it is a Wasm image, and for
// the reference pinned to its digest.
func ociInspect(opts []oci.Option) func(context.Context, string) (string, string, error) {
	return func(ctx context.Context, ref string) (string, string, error) {
		kind, info, err := oci.Inspect(ctx, ref, opts...)
		if err != nil {
			return "", "", err
		}
		return kind.String(), info.Pinned, nil
	}
}
