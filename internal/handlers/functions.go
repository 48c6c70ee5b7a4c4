package handlers

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeFunctionsHandler serves GET /system/functions[?namespace=]: a JSON
// array of FunctionStatus ([] when none); 400 for an unknown namespace.
func MakeFunctionsHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		ns, err := resolveNamespace(r.URL.Query().Get("namespace"), "", cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("list functions: %w", err))
			return
		}
		list, err := b.Functions(r.Context(), ns)
		if err != nil {
			writeError(w, r, cfg.Logger, unknownNamespaceIsInvalid("list functions", ns, err))
			return
		}
		if list == nil {
			list = []provider.FunctionStatus{}
		}
		writeJSON(w, r, cfg.Logger, http.StatusOK, list)
	}
}

// MakeFunctionHandler serves GET /system/function/{name}[?namespace=]: one
// FunctionStatus, 404 when missing.
func MakeFunctionHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		name, ns, err := functionRef(pathVar(r, "name"), r.URL.Query().Get("namespace"), cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("get function: %w", err))
			return
		}
		st, err := b.Function(r.Context(), name, ns)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("get function %s.%s: %w", name, ns, err))
			return
		}
		writeJSON(w, r, cfg.Logger, http.StatusOK, st)
	}
}

// unknownNamespaceIsInvalid wraps a list route's backend error. The backend
// reports an unknown namespace as ErrNotFound; the contract answers 400 for
// it on list routes, so that case is reclassified as ErrInvalid.
func unknownNamespaceIsInvalid(op, ns string, err error) error {
	if errors.Is(err, provider.ErrNotFound) {
		return fmt.Errorf("%s: namespace %q does not exist (%v): %w", op, ns, err, provider.ErrInvalid)
	}
	return fmt.Errorf("%s in %s: %w", op, ns, err)
}

// notFoundIsInvalid reclassifies an ErrNotFound (a namespace or secret the
// request names) as ErrInvalid, keeping the message.
func notFoundIsInvalid(err error) error {
	if errors.Is(err, provider.ErrNotFound) {
		return fmt.Errorf("%v: %w", err, provider.ErrInvalid)
	}
	return err
}
