package handlers

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"strings"

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

// validateDeployment checks every field the HTTP layer can judge without the
// backend and defaults the namespace.
func validateDeployment(fn *provider.FunctionDeployment, def string) error {
	switch {
	case fn.Service == "":
		return fmt.Errorf("service is required: %w", provider.ErrInvalid)
	case fn.Image == "":
		return fmt.Errorf("image is required for function %q: %w", fn.Service, provider.ErrInvalid)
	case strings.ContainsAny(fn.Image, " \t\r\n\x00"):
		return fmt.Errorf("image %q contains whitespace: %w", fn.Image, provider.ErrInvalid)
	}
	if err := provider.ValidateName("function", fn.Service); err != nil {
		return err
	}
	ns, err := resolveNamespace("", fn.Namespace, def)
	if err != nil {
		return err
	}
	fn.Namespace = ns
	for _, s := range fn.Secrets {
		if err := provider.ValidateName("secret", s); err != nil {
			return err
		}
	}
	for k := range fn.EnvVars {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("environment variable name %q is empty or holds '=' or NUL: %w", k, provider.ErrInvalid)
		}
	}
	if _, _, err := provider.ScaleBounds(fn.Labels, math.MaxUint64); err != nil {
		return err
	}
	if _, err := provider.ScaleToZeroAfter(fn.Labels); err != nil {
		return err
	}
	if rt, ok := fn.Annotations[provider.AnnotationRuntime]; ok && rt != provider.RuntimeWasm && rt != provider.RuntimeContainer {
		return fmt.Errorf("annotation %s=%q must be %q or %q: %w",
			provider.AnnotationRuntime, rt, provider.RuntimeWasm, provider.RuntimeContainer, provider.ErrInvalid)
	}
	for _, res := range []*provider.FunctionResources{fn.Limits, fn.Requests} {
		if res == nil {
			continue
		}
		if _, err := provider.ParseMemory(res.Memory); err != nil {
			return err
		}
		if _, err := provider.ParseCPU(res.CPU); err != nil {
			return err
		}
	}
	return nil
}
