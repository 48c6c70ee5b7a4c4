package handlers

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// errUnprocessable marks a query that cannot be parsed (422), e.g. a logs
// request whose tail or since is not understood.
var errUnprocessable = errors.New("unprocessable query")

// StatusFor maps an error to the HTTP status the contract asks for, using
// errors.Is on the provider error classes: ErrNotFound 404,
// ErrAlreadyExists 409, ErrInvalid 400, ErrImage 400, ErrTooLarge 413,
// ErrNotImplemented 501, ErrUnavailable 503, ErrQueueFull 429, anything
// else 500.
func StatusFor(err error) int {
	switch {
	case errors.Is(err, errUnprocessable):
		return http.StatusUnprocessableEntity
	case errors.Is(err, provider.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, provider.ErrAlreadyExists):
		return http.StatusConflict
	case errors.Is(err, provider.ErrInvalid), errors.Is(err, provider.ErrImage):
		return http.StatusBadRequest
	case errors.Is(err, provider.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, provider.ErrNotImplemented):
		return http.StatusNotImplemented
	case errors.Is(err, provider.ErrUnavailable):
		return http.StatusServiceUnavailable
	case errors.Is(err, provider.ErrQueueFull):
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// writeError answers err as text/plain with the status StatusFor picks.
// Server errors are logged (500 as errors, 501 and 503 as warnings); the
// message sent is the error text, which backends keep free of secret values.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := StatusFor(err)
	if status >= http.StatusInternalServerError {
		level := slog.LevelWarn
		if status == http.StatusInternalServerError {
			level = slog.LevelError
		}
		log.Log(r.Context(), level, "request failed",
			"method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	writeText(w, status, err.Error())
}
