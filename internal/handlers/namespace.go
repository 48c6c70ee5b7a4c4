package handlers

import (
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeNamespaceHandler serves GET /system/namespace/{ns}: 200 with the
// FunctionNamespace, 404 when missing.
func MakeNamespaceHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		name := pathVar(r, "ns")
		if err := provider.ValidateName("namespace", name); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("get namespace: %w", err))
			return
		}
		ns, err := b.Namespace(r.Context(), name)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("get namespace %s: %w", name, err))
			return
		}
		writeJSON(w, r, cfg.Logger, http.StatusOK, ns)
	}
}

// MakeCreateNamespaceHandler serves POST /system/namespace/{ns} with an
// optional FunctionNamespace body (labels, annotations): 202 when created,
// 409 when it exists. It also serves POST /system/namespace/, the form
// faas-cli sends, where the body's name is required.
func MakeCreateNamespaceHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		ns, err := decodeNamespace(r.Body, cfg.MaxBodyBytes, pathVar(r, "ns"))
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("create namespace: %w", err))
			return
		}
		if err := b.CreateNamespace(r.Context(), ns); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("create namespace %s: %w", ns.Name, err))
			return
		}
		accepted(w)
	}
}

// MakeUpdateNamespaceHandler serves PUT /system/namespace/{ns} with a
// FunctionNamespace body: 202 when replaced, 404 when missing.
func MakeUpdateNamespaceHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		ns, err := decodeNamespace(r.Body, cfg.MaxBodyBytes, pathVar(r, "ns"))
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("update namespace: %w", err))
			return
		}
		if err := b.UpdateNamespace(r.Context(), ns); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("update namespace %s: %w", ns.Name, err))
			return
		}
		accepted(w)
	}
}

// MakeDeleteNamespaceHandler serves DELETE /system/namespace/{ns}: 202 when
// removed with everything in it, 404 when missing, 400 for the default
// namespace.
func MakeDeleteNamespaceHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		name := pathVar(r, "ns")
		if err := provider.ValidateName("namespace", name); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("delete namespace: %w", err))
			return
		}
		if name == cfg.DefaultNamespace {
			writeError(w, r, cfg.Logger, fmt.Errorf("delete namespace %s: the default namespace cannot be deleted: %w", name, provider.ErrInvalid))
			return
		}
		if err := b.DeleteNamespace(r.Context(), name); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("delete namespace %s: %w", name, err))
			return
		}
		accepted(w)
	}
}
