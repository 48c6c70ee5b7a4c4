package handlers

import (
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeDeleteHandler serves DELETE /system/functions with a
// DeleteFunctionRequest body: 202 when removed, 404 when missing.
func MakeDeleteHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		name, ns, err := decodeDelete(r.Body, cfg.MaxBodyBytes, r.URL.Query().Get("namespace"), cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("delete: %w", err))
			return
		}
		if err := b.Delete(r.Context(), name, ns); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("delete %s.%s: %w", name, ns, err))
			return
		}
		accepted(w)
	}
}
