package fn

import (
	"os"
	"strconv"
	"time"
)

const (
	defaultReadTimeout  = 10 * time.Second
	defaultWriteTimeout = 60 * time.Second
	defaultDrainTimeout = 10 * time.Second
)

// Option changes how [Serve] runs the HTTP server.
type Option func(*options)

type options struct {
	readTimeout  time.Duration
	writeTimeout time.Duration
	drainTimeout time.Duration
}

// WithReadTimeout bounds reading one request, body included (default 10s).
func WithReadTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.readTimeout = d
		}
	}
}

// WithWriteTimeout bounds one request from the end of its headers to the end
// of the response, so it bounds the handler's run time too (default 60s).
func WithWriteTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.writeTimeout = d
		}
	}
}

// WithDrainTimeout bounds how long Serve waits for in-flight requests after
// its context is done (default 10s).
func WithDrainTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.drainTimeout = d
		}
	}
}

// envDuration reads a duration such as "30s" or a plain number of seconds
// from the environment variable name, or returns def.
func envDuration(name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 {
		return time.Duration(n * float64(time.Second))
	}
	return def
}
