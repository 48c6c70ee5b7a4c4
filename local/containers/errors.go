package containers

import "errors"

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
