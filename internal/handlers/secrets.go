package handlers

import (
	"context"
	"fmt"
	"net/http"

	"github.com/faas-wasm/faas-wasm/provider"
)

// MakeSecretsHandler serves GET /system/secrets[?namespace=]: the names of a
// namespace's secrets ([] when none), never their values; 400 for an
// unknown namespace.
func MakeSecretsHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		ns, err := resolveNamespace(r.URL.Query().Get("namespace"), "", cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("list secrets: %w", err))
			return
		}
		refs, err := b.Secrets(r.Context(), ns)
		if err != nil {
			writeError(w, r, cfg.Logger, unknownNamespaceIsInvalid("list secrets", ns, err))
			return
		}
		out := make([]provider.SecretRef, 0, len(refs))
		for _, s := range refs {
			out = append(out, provider.SecretRef{Name: s.Name, Namespace: s.Namespace})
		}
		writeJSON(w, r, cfg.Logger, http.StatusOK, out)
	}
}

// MakeCreateSecretHandler serves POST /system/secrets: 202 when stored, 409
// when the secret exists.
func MakeCreateSecretHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	return secretWriter(cfg, "create secret", func(ctx context.Context, s provider.Secret) error {
		return b.CreateSecret(ctx, s)
	})
}

// MakeUpdateSecretHandler serves PUT /system/secrets: 202 when replaced, 404
// when the secret does not exist.
func MakeUpdateSecretHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	return secretWriter(cfg, "update secret", func(ctx context.Context, s provider.Secret) error {
		return b.UpdateSecret(ctx, s)
	})
}

// MakeDeleteSecretHandler serves DELETE /system/secrets with a Secret body
// naming the secret: 202 when removed, 404 when missing.
func MakeDeleteSecretHandler(b provider.Backend, cfg Config) http.HandlerFunc {
	return secretWriter(cfg, "delete secret", func(ctx context.Context, s provider.Secret) error {
		return b.DeleteSecret(ctx, s.Name, s.Namespace)
	})
}

// secretWriter decodes a Secret and hands it to apply. Neither the value nor
// the body is ever logged or echoed.
func secretWriter(cfg Config, op string, apply func(context.Context, provider.Secret) error) http.HandlerFunc {
	cfg = cfg.withDefaults()
	return func(w http.ResponseWriter, r *http.Request) {
		s, err := decodeSecret(r.Body, cfg.MaxBodyBytes, r.URL.Query().Get("namespace"), cfg.DefaultNamespace)
		if err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("%s: %w", op, err))
			return
		}
		if err := apply(r.Context(), s); err != nil {
			writeError(w, r, cfg.Logger, fmt.Errorf("%s %s.%s: %w", op, s.Name, s.Namespace, err))
			return
		}
		accepted(w)
	}
}
