package local

import (
	"context"
	"fmt"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// WithRegistryOptions sets how images are read from registries (insecure
// registries, credentials, timeouts); loopback registries are reached over
// plain HTTP without options.
func WithRegistryOptions(opts ...oci.Option) Option {
	return func(o *options) { o.registry = append(o.registry, opts...) }
}

// ociInspect returns the runtime an image needs, asking its registry.
func ociInspect(opts []oci.Option) func(context.Context, string) (string, error) {
	return func(ctx context.Context, ref string) (string, error) {
		kind, _, err := oci.Inspect(ctx, ref, opts...)
		if err != nil {
			return "", fmt.Errorf("inspect image: %w", err)
		}
		return kind.String(), nil
	}
}

// ociPull downloads the module of a Wasm image.
func ociPull(opts []oci.Option) func(context.Context, string) ([]byte, error) {
	return func(ctx context.Context, ref string) ([]byte, error) {
		m, err := oci.PullWasm(ctx, ref, opts...)
		if err != nil {
			return nil, fmt.Errorf("pull image: %w", err)
		}
		return m.Module, nil
	}
}
