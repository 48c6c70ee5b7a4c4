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

// ociSource reads Wasm images from registries; with precompiled, a pull
// also reads the image's precompiled layer when it has one.
func ociSource(opts []oci.Option, precompiled bool) imageSource {
	pullOpts := opts
	if precompiled {
		pullOpts = append(opts[:len(opts):len(opts)], oci.WithPrecompiled(true))
	}
	return imageSource{
		resolve: func(ctx context.Context, ref string) (string, string, error) {
			digest, pinned, err := oci.Resolve(ctx, ref, opts...)
			if err != nil {
				return "", "", fmt.Errorf("resolve image: %w", err)
			}
			return digest, pinned, nil
		},
		pull: func(ctx context.Context, ref string) (pulledModule, error) {
			m, err := oci.PullWasm(ctx, ref, pullOpts...)
			if err != nil {
				return pulledModule{}, fmt.Errorf("pull image: %w", err)
			}
			digest := m.IndexDigest
			if digest == "" {
				digest = m.Digest
			}
			return pulledModule{module: m.Module, digest: digest, pre: m.Precompiled, preErr: m.PrecompiledErr}, nil
		},
	}
}
