// Package params holds the small helpers the study's functions share: reading
// bounded integer query parameters, the deterministic seed, and writing JSON
// and error answers.
//
// It does not validate anything beyond the bounds it is given and it is not
// part of the function SDK (fn): only the functions under functions/ use it.
package params

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// DefaultSeed seeds every function's randomness when the query has no seed,
// so that the native and the Wasm build of a function answer byte for byte
// the same.
const DefaultSeed = 42

// ErrBadParam is wrapped by the errors of Int and Seed.
var ErrBadParam = errors.New("bad query parameter")

// Int reads query parameter name as an integer in [lo, hi], or def when the
// parameter is absent or empty.
func Int(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	s := r.URL.Query().Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %s=%q is not an integer", ErrBadParam, name, s)
	}
	if v < lo || v > hi {
		return 0, fmt.Errorf("%w: %s=%d is outside [%d, %d]", ErrBadParam, name, v, lo, hi)
	}
	return v, nil
}

// Seed reads the query parameter seed (an unsigned integer), or returns
// DefaultSeed.
func Seed(r *http.Request) (uint64, error) {
	s := r.URL.Query().Get("seed")
	if s == "" {
		return DefaultSeed, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: seed=%q is not an unsigned integer", ErrBadParam, s)
	}
	return v, nil
}

// JSON writes v as an indented JSON document with status 200.
func JSON(w http.ResponseWriter, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		Error(w, http.StatusInternalServerError, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, '\n'))
}

// Error writes err as a plain-text answer with the given status, or with 400
// when err wraps ErrBadParam.
func Error(w http.ResponseWriter, status int, err error) {
	if errors.Is(err, ErrBadParam) {
		status = http.StatusBadRequest
	}
	http.Error(w, err.Error(), status)
}
