package handlers

import (
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeMetricsHandler serves GET /metrics with Config.Metrics, or answers
// 404 when no metrics handler is configured.
func MakeMetricsHandler(_ provider.Backend, cfg Config) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if cfg.Metrics == nil {
			writeText(w, http.StatusNotFound, "metrics are not enabled")
			return
		}
		cfg.Metrics.ServeHTTP(w, r)
	}
}
