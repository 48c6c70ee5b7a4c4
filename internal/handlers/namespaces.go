package handlers

import (
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeNamespacesHandler serves GET /system/namespaces: a JSON array of the
// function namespaces' names ([] when none).
func MakeNamespacesHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		list, err := b.Namespaces(r.Context())
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("list namespaces: %w", err))
			return
		}
		if list == nil {
			list = []string{}
		}
		writeJSON(w, r, cfg.Logger, http.StatusOK, list)
	}
}
