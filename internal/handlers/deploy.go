package handlers

import (
	"fmt"
	"io"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeDeployHandler serves POST /system/functions: it validates the
// FunctionDeployment and asks the backend to create it (202). An unknown
// namespace or secret is a 400, an existing function a 409.
func MakeDeployHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		fn, err := decodeDeployment(r.Body, cfg.MaxBodyBytes, cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("deploy: %w", err))
			return
		}
		if err := b.Deploy(r.Context(), fn); err != nil {
			// Deploy's ErrNotFound names a missing namespace or secret: a bad request.
			writeError(w, r, cfg.Logger, notFoundIsInvalid(fmt.Errorf("deploy %s.%s: %w", fn.Service, fn.Namespace, err)))
			return
		}
		accepted(w)
	}
}

// decodeDeployment decodes and validates a FunctionDeployment, filling in
// the default namespace.
func decodeDeployment(body io.Reader, max int64, def string) (provider.FunctionDeployment, error) {
	var fn provider.FunctionDeployment
	if err := decodeJSON(body, max, &fn); err != nil {
		return provider.FunctionDeployment{}, err
	}
	if err := validateDeployment(&fn, def); err != nil {
		return provider.FunctionDeployment{}, err
	}
	return fn, nil
}

// validateDeployment defaults the namespace and checks the deployment with
// provider.Validate, the rules both backends apply too.
func validateDeployment(fn *provider.FunctionDeployment, def string) error {
	ns, err := resolveNamespace("", fn.Namespace, def)
	if err != nil {
		return err
	}
	fn.Namespace = ns
	return provider.Validate(*fn)
}
