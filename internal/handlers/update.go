package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeUpdateHandler serves PUT /system/functions: it replaces an existing
// function's deployment (202) and answers 404 when the function does not
// exist, which makes `faas-cli deploy` fall back to POST. An unknown secret
// of an existing function is a 400.
func MakeUpdateHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		fn, err := decodeDeployment(r.Body, cfg.MaxBodyBytes, cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("update: %w", err))
			return
		}
		if err := b.Update(r.Context(), fn); err != nil {
			err = fmt.Errorf("update %s.%s: %w", fn.Service, fn.Namespace, err)
			// ErrNotFound means either the function (404, faas-cli then POSTs)
			// or a secret or namespace it names (400): ask which.
			if errors.Is(err, provider.ErrNotFound) {
				if _, ferr := b.Function(r.Context(), fn.Service, fn.Namespace); ferr == nil {
					err = notFoundIsInvalid(err)
				}
			}
			writeError(w, r, cfg.Logger, err)
			return
		}
		accepted(w)
	}
}
