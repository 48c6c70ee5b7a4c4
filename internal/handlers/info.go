package handlers

import (
	"net/http"
	"runtime"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeInfoHandler serves GET /system/info: the backend's ProviderInfo, or
// with Config.GatewayInfo the OpenFaaS gateway's form of it
// (provider.GatewayInfo: the same build as the gateway's version, this
// process's architecture), which faas-cli version decodes.
func MakeInfoHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		info := b.Info(r.Context())
		if !cfg.GatewayInfo {
			writeJSON(w, r, cfg.Logger, http.StatusOK, info)
			return
		}
		writeJSON(w, r, cfg.Logger, http.StatusOK, provider.GatewayInfo{Provider: info, Version: info.Version, Arch: runtime.GOARCH})
	}
}
