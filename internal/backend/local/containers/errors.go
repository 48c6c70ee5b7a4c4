package containers

import (
	"errors"
	"fmt"

	"github.com/containerd/containerd/errdefs"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Error classes of this package. Each is returned joined with the matching
// provider error class (provider.ErrNotImplemented, provider.ErrImage,
// provider.ErrInvalid, provider.ErrNotFound), so callers can test either
// with errors.Is.
var (
	// ErrNoContainerd: the containerd socket does not answer (with
	// provider.ErrNotImplemented: container functions cannot run).
	ErrNoContainerd = errors.New("containerd is not available")
	// ErrImageNotFound: the registry has no such image (with provider.ErrImage).
	ErrImageNotFound = errors.New("image not found")
	// ErrPlatform: the image is built for another OS or architecture (with
	// provider.ErrImage).
	ErrPlatform = errors.New("image is for another platform")
	// ErrRegistry: the registry could not be reached or refused the pull
	// (with provider.ErrImage).
	ErrRegistry = errors.New("registry error")
)

// daemonGone reports whether err says the containerd daemon could not be
// reached — it is restarting, or its socket went away — as opposed to a
// fault of the request.
func daemonGone(err error) bool {
	return errdefs.IsUnavailable(err) || status.Code(err) == codes.Unavailable
}

// unavailable wraps an error of an operation that failed because containerd
// is away, with provider.ErrUnavailable (the caller may retry).
func unavailable(op string, err error) error {
	return fmt.Errorf("%s: containerd is not reachable (restarting?): %v: %w", op, err, provider.ErrUnavailable)
}
