package oci

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push uploads img (its blobs, then its manifest) to ref, a tag or digest
// reference, and returns the manifest digest ("sha256:...").
//
// # Errors
// ErrInvalidReference (provider.ErrInvalid) for a malformed ref;
// ErrUnreachable (provider.ErrImage) when the registry cannot be reached;
// provider.ErrImage when the registry refuses the upload.
func Push(ctx context.Context, img v1.Image, ref string, opts ...Option) (string, error) {
	return push(ctx, ref, opts, img.Digest, func(r name.Reference, ro []remote.Option) error {
		return remote.Write(r, img, ro...)
	})
}

// PushIndex uploads a multi-platform index and every image it lists to ref,
// and returns the index digest.
//
// # Errors
// As Push.
func PushIndex(ctx context.Context, idx v1.ImageIndex, ref string, opts ...Option) (string, error) {
	return push(ctx, ref, opts, idx.Digest, func(r name.Reference, ro []remote.Option) error {
		return remote.WriteIndex(r, idx, ro...)
	})
}

func push(ctx context.Context, ref string, opts []Option, digest func() (v1.Hash, error), write func(name.Reference, []remote.Option) error) (string, error) {
	o := newOptions(opts)
	if o.err != nil {
		return "", fmt.Errorf("push %s: %w", ref, o.err)
	}
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	r, err := parseReference(ref, o)
	if err != nil {
		return "", err
	}
	d, err := digest()
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	if err := write(r, append(o.remoteOptions(), remote.WithContext(ctx))); err != nil {
		return "", classify(ref, r.Context().RegistryStr(), err)
	}
	return d.String(), nil
}
