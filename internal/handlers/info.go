package handlers

import (
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeInfoHandler serves GET /system/info: the backend's ProviderInfo.
func MakeInfoHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, r, cfg.Logger, http.StatusOK, b.Info(r.Context()))
	}
}
