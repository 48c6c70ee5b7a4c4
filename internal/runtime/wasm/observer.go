package wasm

import "errors"

// Observer is told about engine events, e.g. to export metrics (package
// metrics implements it). Its methods are called on the request path: they
// must be cheap, must not block and must be safe for concurrent use.
type Observer interface {
	// ModuleLoaded reports a Compile that loaded the module from the AOT
	// cache (cached true) or compiled it (a cache miss). Concurrent Compile
	// calls for the same bytes share one load and one report.
	ModuleLoaded(cached bool)
	// GuestCallDone reports a finished Invoke of the function fn
	// ("name.namespace", or "name" without a namespace) with its Outcome.
	GuestCallDone(fn, outcome string)
}

// WithObserver sets the observer of the engine's module loads and guest
// calls (default none).
func WithObserver(o Observer) Option { return func(opts *options) { opts.observer = o } }

// Outcomes of a guest call, as reported to Observer.GuestCallDone.
const (
	OutcomeOK               = "ok"
	OutcomeTrap             = "trap"
	OutcomeExit             = "exit"
	OutcomeTimeout          = "timeout"
	OutcomeMemoryLimit      = "memory_limit"
	OutcomeResponseTooLarge = "response_too_large"
	// OutcomeError is a host-side failure: the caller's context ended while
	// waiting, the function was closed, an instance could not be created or
	// the guest's CGI response could not be parsed.
	OutcomeError = "error"
)

// Outcome classifies the error of an Invoke (nil is OutcomeOK).
func Outcome(err error) string {
	var trap *TrapError
	var exit *ExitError
	switch {
	case err == nil:
		return OutcomeOK
	case errors.Is(err, ErrMemoryLimit):
		return OutcomeMemoryLimit
	case errors.Is(err, ErrTimeout):
		return OutcomeTimeout
	case errors.Is(err, ErrResponseTooLarge):
		return OutcomeResponseTooLarge
	case errors.As(err, &trap):
		return OutcomeTrap
	case errors.As(err, &exit):
		return OutcomeExit
	default:
		return OutcomeError
	}
}
