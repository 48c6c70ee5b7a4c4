package handlers

import (
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeScaleHandler serves POST /system/scale-function/{name}[?namespace=]
// with a ScaleServiceRequest body: 202, replicas 0 allowed; 404 when the
// function does not exist.
func MakeScaleHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		req, err := decodeScale(r.Body, cfg.MaxBodyBytes, pathVar(r, "name"), r.URL.Query().Get("namespace"), cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("scale: %w", err))
			return
		}
		if err := b.Scale(r.Context(), req.ServiceName, req.Namespace, req.Replicas); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("scale %s.%s to %d: %w", req.ServiceName, req.Namespace, req.Replicas, err))
			return
		}
		accepted(w)
	}
}
