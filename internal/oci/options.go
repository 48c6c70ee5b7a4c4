package oci

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"time"

	prelayer "github.com/faas-wasm/faas-wasm/internal/precompiled/layer"
	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Defaults of the remote options.
const (
	// DefaultTimeout bounds one Inspect, PullWasm or Push call.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxModuleSize is the largest Wasm module PullWasm accepts.
	DefaultMaxModuleSize = 256 << 20
)

// sharedTransport is the default transport of every call.
var sharedTransport = http.DefaultTransport.(*http.Transport).Clone()

// Option configures remote access (Inspect, PullWasm, Push, PushIndex).
type Option func(*options)

type options struct {
	insecure           map[string]bool
	timeout            time.Duration
	platform           v1.Platform
	auth               authn.Authenticator
	keychain           authn.Keychain
	transport          http.RoundTripper
	maxModuleSize      int64
	precompiled        bool // PullWasm also reads the precompiled layer
	maxPrecompiledSize int64
	retries            int
	err                error // an option's invalid argument, reported by every call
}

// WithInsecureRegistries lists registries reached over plain HTTP, as
// "host" (any port) or "host:port". Loopback registries need not be listed.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) {
		for _, h := range hosts {
			o.insecure[strings.ToLower(h)] = true
		}
	}
}

// WithTimeout bounds each call (default DefaultTimeout). Zero or less means
// only the caller's context bounds it.
func WithTimeout(d time.Duration) Option {
	return func(o *options) { o.timeout = d }
}

// WithPlatform selects the entry of a multi-platform index for container
// images, as "os/arch" or "os/arch/variant" (default linux and the host's
// architecture). A Wasm entry of an index is always preferred. A malformed
// platform makes every call fail with provider.ErrInvalid.
func WithPlatform(platform string) Option {
	return func(o *options) {
		p, err := v1.ParsePlatform(platform)
		if err != nil || p.OS == "" || p.Architecture == "" {
			o.err = fmt.Errorf("platform %q is not os/arch[/variant]: %w", platform, provider.ErrInvalid)
			return
		}
		o.platform = *p
	}
}

// WithBasicAuth authenticates to every registry with a user name and password.
func WithBasicAuth(username, password string) Option {
	return func(o *options) {
		o.auth = &authn.Basic{Username: username, Password: password}
	}
}

// WithAuth authenticates with auth. It wins over WithKeychain.
func WithAuth(auth authn.Authenticator) Option {
	return func(o *options) { o.auth = auth }
}

// WithKeychain looks credentials up per registry (default
// authn.DefaultKeychain, which reads the Docker config file when present).
func WithKeychain(kc authn.Keychain) Option {
	return func(o *options) { o.keychain = kc }
}

// WithTransport sets the HTTP transport (default one clone of
// http.DefaultTransport shared by all calls, so connections are reused).
func WithTransport(t http.RoundTripper) Option {
	return func(o *options) { o.transport = t }
}

// WithMaxModuleSize sets the largest Wasm module PullWasm accepts, in bytes
// (default DefaultMaxModuleSize).
func WithMaxModuleSize(n int64) Option {
	return func(o *options) { o.maxModuleSize = n }
}

// WithPrecompiled makes PullWasm also read the image's precompiled layer,
// when it has one (default off: the layer is not downloaded). Its size is
// limited to the precompiled/layer package's MaxSize.
func WithPrecompiled(on bool) Option {
	return func(o *options) { o.precompiled = on }
}

// WithRetries sets how many times a request that failed with a temporary
// error is tried again (default 2; 0 disables retries).
func WithRetries(n int) Option {
	return func(o *options) { o.retries = n }
}

func newOptions(opts []Option) *options {
	o := &options{
		insecure: map[string]bool{},
		timeout:  DefaultTimeout,
		retries:  2,
	}
	for _, opt := range opts {
		opt(o)
	}
	if o.platform.OS == "" {
		o.platform = v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	}
	if o.keychain == nil {
		o.keychain = authn.DefaultKeychain
	}
	if o.transport == nil {
		o.transport = sharedTransport
	}
	if o.maxModuleSize <= 0 {
		o.maxModuleSize = DefaultMaxModuleSize
	}
	if o.maxPrecompiledSize <= 0 {
		o.maxPrecompiledSize = prelayer.MaxSize
	}
	return o
}

// remoteOptions translates o into go-containerregistry options.
func (o *options) remoteOptions() []remote.Option {
	ro := []remote.Option{
		remote.WithTransport(o.transport),
		remote.WithPlatform(o.platform),
		remote.WithRetryBackoff(remote.Backoff{Duration: 250 * time.Millisecond, Factor: 2, Jitter: 0.1, Steps: o.retries + 1}),
	}
	if o.auth != nil {
		ro = append(ro, remote.WithAuth(o.auth))
	} else {
		ro = append(ro, remote.WithAuthFromKeychain(o.keychain))
	}
	return ro
}
