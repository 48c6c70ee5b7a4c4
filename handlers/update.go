package handlers

import (
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeUpdateHandler serves PUT /system/functions: it replaces an existing
// function's deployment (202) and answers 404 when the function does not
// exist, which makes `faas-cli deploy` fall back to POST.
func MakeUpdateHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		fn, err := decodeDeployment(r.Body, cfg.MaxBodyBytes, cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("update: %w", err))
			return
		}
		if err := b.Update(r.Context(), fn); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("update %s.%s: %w", fn.Service, fn.Namespace, err))
			return
		}
		cfg.Logger.InfoContext(r.Context(), "function updated", "function", fn.Service, "namespace", fn.Namespace, "image", fn.Image)
		accepted(w)
	}
}
