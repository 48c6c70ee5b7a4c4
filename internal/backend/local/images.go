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

// ociPull downloads the module of a Wasm image and, with precompiled, its
// precompiled layer when it has one.
func ociPull(opts []oci.Option, precompiled bool) func(context.Context, string) (pulledModule, error) {
	if precompiled {
		opts = append(opts[:len(opts):len(opts)], oci.WithPrecompiled(true))
	}
	return func(ctx context.Context, ref string) (pulledModule, error) {
		m, err := oci.PullWasm(ctx, ref, opts...)
		if err != nil {
			return pulledModule{}, fmt.Errorf("pull image: %w", err)
		}
		return pulledModule{module: m.Module, pre: m.Precompiled, preErr: m.PrecompiledErr}, nil
	}
}
