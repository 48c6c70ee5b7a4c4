package wasm

import (
	"errors"
	"fmt"
)

// Error classes returned (wrapped) by the engine. Check them with errors.Is.
var (
	// ErrInvalidModule: the bytes are not a valid WebAssembly module.
	ErrInvalidModule = errors.New("invalid wasm module")
	// ErrNotFunction: the module is valid Wasm but does not have the shape of
	// a function (it exports neither _start nor faas_handle).
	ErrNotFunction = errors.New("module is not a function")
	// ErrTimeout: the guest ran past its wall-time limit or the caller's
	// context ended, and was interrupted.
	ErrTimeout = errors.New("wasm function timed out")
	// ErrMemoryLimit: the guest asked for more linear memory than its limit
	// and died of the refusal.
	ErrMemoryLimit = errors.New("wasm function exceeded its memory limit")
	// ErrResponseTooLarge: the guest wrote more than Config.MaxResponseBytes
	// to stdout (or flooded stderr).
	ErrResponseTooLarge = errors.New("wasm function response too large")
	// ErrClosed: the engine or function has been closed.
	ErrClosed = errors.New("closed")
)

// ExitError reports a guest that exited with a non-zero code (command
// modules) or whose faas_handle returned non-zero (reactor modules).
type ExitError struct {
	// Code is the exit code or faas_handle's return value.
	Code int
	// Stderr is the tail of what the guest wrote to stderr.
	Stderr string
}

// Error describes the exit.
func (e *ExitError) Error() string {
	return fmt.Sprintf("wasm function exited with code %d", e.Code)
}

// Is reports whether target is an *ExitError with the same code, or an
// *ExitError with code 0 (which matches any exit).
func (e *ExitError) Is(target error) bool {
	t, ok := target.(*ExitError)
	return ok && (t.Code == 0 || t.Code == e.Code)
}

// TrapError reports a guest that trapped (unreachable, out-of-bounds access,
// stack overflow, ...).
type TrapError struct {
	// Message is wasmtime's trap message, with its backtrace.
	Message string
	// Stderr is the tail of what the guest wrote to stderr.
	Stderr string
}

// Error describes the trap.
func (e *TrapError) Error() string {
	return "wasm function trapped: " + e.Message
}

// Is reports whether target is a *TrapError (any trap matches).
func (e *TrapError) Is(target error) bool {
	_, ok := target.(*TrapError)
	return ok
}
