package main

import (
	"fmt"
	"log/slog"

	"github.com/faas-wasm/faas-wasm/internal/config"
	"github.com/faas-wasm/faas-wasm/internal/credentials"
)

// resolveAuth decides the credentials of /system/* (see
// credentials.Resolve) and logs the decision: the password file's path once,
// when this start generated it, never the password.
func resolveAuth(cfg config.Config, log *slog.Logger) (credentials.Result, error) {
	r, err := credentials.Resolve(credentials.Options{
		Addr:            cfg.Addr,
		SecretMountPath: cfg.SecretMountPath,
		RequireMounted:  cfg.BasicAuth,
		StateDir:        cfg.StateDir,
		NoAuth:          cfg.InsecureNoAuth,
	})
	if err != nil {
		return credentials.Result{}, fmt.Errorf("basic auth: %w", err)
	}
	switch r.Source {
	case credentials.Generated:
		log.Info("generated basic-auth credentials for /system/* (log in: faas-cli login -u USER --password-stdin < PASSWORD_FILE)",
			"user", r.Creds.User, "password_file", r.PasswordFile())
	case credentials.Off:
		log.Warn("basic auth is off (--insecure-no-auth): anyone who can reach the address can deploy and run code", "addr", cfg.Addr)
	}
	return r, nil
}
