package k8s

import (
	"errors"
	"fmt"
	"net"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/faas-wasm/faas-wasm/provider"
)

// apiError translates an error of the Kubernetes API into a provider error
// class, keeping the original message: NotFound → ErrNotFound,
// AlreadyExists and Conflict → ErrAlreadyExists, Invalid and BadRequest →
// ErrInvalid, an unreachable or overloaded API server → ErrUnavailable.
// Anything else is returned unchanged.
func apiError(err error) error {
	if err == nil {
		return nil
	}
	var class error
	var netErr net.Error
	switch {
	case apierrors.IsNotFound(err):
		class = provider.ErrNotFound
	case apierrors.IsAlreadyExists(err), apierrors.IsConflict(err):
		class = provider.ErrAlreadyExists
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		class = provider.ErrInvalid
	case apierrors.IsServiceUnavailable(err), apierrors.IsServerTimeout(err), apierrors.IsTimeout(err),
		apierrors.IsTooManyRequests(err), apierrors.IsInternalError(err), errors.As(err, &netErr):
		class = provider.ErrUnavailable
	default:
		return err
	}
	return fmt.Errorf("%w: %w", err, class)
}
