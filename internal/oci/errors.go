package oci

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"

	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Sentinel errors of this package. Errors returned by this package that
// match one of them also match a provider error class (see each).
var (
	// ErrNotFound: the repository, tag or digest does not exist in the
	// registry. Also matches provider.ErrImage.
	ErrNotFound = errors.New("image not found")
	// ErrUnreachable: the registry could not be reached (connection refused,
	// DNS failure, TLS failure, timeout). Also matches provider.ErrImage.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrNotWasm: a Wasm module was required but the image is a container
	// image. Also matches provider.ErrImage.
	ErrNotWasm = errors.New("not a Wasm image")
	// ErrInvalidReference: the image reference cannot be parsed. Also
	// matches provider.ErrInvalid.
	ErrInvalidReference = errors.New("invalid image reference")
)

// classError is an error with a readable message that matches several
// error classes with errors.Is, plus its underlying cause.
type classError struct {
	msg     string
	classes []error
	cause   error
}

func (e *classError) Error() string { return e.msg }

// Unwrap lets errors.Is and errors.As see the classes and the cause.
func (e *classError) Unwrap() []error {
	errs := append([]error(nil), e.classes...)
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// classed builds a classError matching classes and wrapping cause (which may be nil).
func classed(classes []error, cause error, format string, args ...any) error {
	return &classError{msg: fmt.Sprintf(format, args...), classes: classes, cause: cause}
}

func invalidRef(ref string, cause error) error {
	return classed([]error{ErrInvalidReference, provider.ErrInvalid}, cause,
		"image reference %q is malformed: %v", ref, cause)
}

func notWasm(ref, platform string) error {
	return classed([]error{ErrNotWasm, provider.ErrImage}, nil,
		"image %s is a container image (platform %s), not Wasm", ref, platform)
}

// classify turns an error from go-containerregistry's remote package into
// this package's classes.
func classify(ref, registry string, err error) error {
	if err == nil {
		return nil
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		if terr.StatusCode == http.StatusNotFound || hasCode(terr, transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode) {
			return classed([]error{ErrNotFound, provider.ErrImage}, err,
				"image %s not found in registry %s", ref, registry)
		}
		return classed([]error{provider.ErrImage}, err, "image %s: registry %s answered: %v", ref, registry, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("image %s: %w", ref, err)
	}
	// After HTTP status errors, what remains of the HTTP client's errors are
	// transport failures: dial, DNS, TLS, timeouts.
	var nerr net.Error
	var uerr *url.Error
	if errors.As(err, &nerr) || errors.As(err, &uerr) || errors.Is(err, context.DeadlineExceeded) {
		return classed([]error{ErrUnreachable, provider.ErrImage}, err,
			"registry %s unreachable: %v", registry, err)
	}
	return classed([]error{provider.ErrImage}, err, "image %s: %v", ref, err)
}

func hasCode(terr *transport.Error, codes ...transport.ErrorCode) bool {
	for _, d := range terr.Errors {
		for _, c := range codes {
			if d.Code == c {
				return true
			}
		}
	}
	return false
}
