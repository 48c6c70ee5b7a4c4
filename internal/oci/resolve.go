package oci

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Resolve returns the digest ("sha256:...") of the manifest ref names now —
// of the index when ref names an index — and ref pinned to it
// ("host/repo@sha256:..."), so that what is read next by the pinned ref is
// exactly what the digest names: go-containerregistry checks a manifest
// read by digest against it, and layers against the manifest. A reference
// by digest is answered without a request; a tag costs one HEAD of its
// manifest (after the registry's ping and token exchange), or one GET when
// the registry's answer to HEAD lacks the digest.
//
// # Errors
// As Inspect: ErrInvalidReference (provider.ErrInvalid) for a malformed
// ref; ErrNotFound or ErrUnreachable (provider.ErrImage) when it cannot be
// read.
func Resolve(ctx context.Context, ref string, opts ...Option) (digest, pinned string, err error) {
	o := newOptions(opts)
	if o.err != nil {
		return "", "", fmt.Errorf("image %s: %w", ref, o.err)
	}
	r, err := parseReference(ref, o)
	if err != nil {
		return "", "", err
	}
	if d, ok := r.(name.Digest); ok {
		return d.DigestStr(), d.String(), nil
	}
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	reg := r.Context().RegistryStr()
	ro := append(o.remoteOptions(), remote.WithContext(ctx))
	desc, err := remote.Head(r, ro...)
	if err != nil {
		full, gerr := remote.Get(r, ro...)
		if gerr != nil {
			return "", "", classify(ref, reg, gerr)
		}
		desc = &full.Descriptor
	}
	return desc.Digest.String(), pin(r, desc.Digest.String()), nil
}

// pin returns the reference r's repository at digest.
func pin(r name.Reference, digest string) string { return r.Context().Digest(digest).String() }
