package provider

import "errors"

// Error classes. Backends wrap them with context
// (fmt.Errorf("deploy %s: %w", name, ErrNotFound)); the HTTP layer maps them to
// status codes with errors.Is. Never compare error strings.
var (
	// ErrNotFound: the function, secret or namespace does not exist (404).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a function, secret or namespace of that name exists (409).
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalid: the request is malformed or names something unusable (400).
	ErrInvalid = errors.New("invalid request")
	// ErrNotImplemented: the backend cannot do this, e.g. container functions
	// without a container runtime (501).
	ErrNotImplemented = errors.New("not implemented")
	// ErrUnavailable: no ready replica can take the call (503).
	ErrUnavailable = errors.New("unavailable")
	// ErrImage: the image cannot be pulled or is unusable: missing, registry
	// unreachable, wrong kind or platform (400 on deploy).
	ErrImage = errors.New("image error")
	// ErrTooLarge: a request or response exceeds a configured limit (413).
	ErrTooLarge = errors.New("too large")
	// ErrQueueFull: a bounded queue holds its limit, e.g. the asynchronous
	// call queue (429).
	ErrQueueFull = errors.New("queue full")
)
