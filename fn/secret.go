package fn

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// SecretsPath is the directory of the function's secrets: one file per
// secret, named after it, as in every OpenFaaS function.
const SecretsPath = "/var/openfaas/secrets"

// Secret returns the function's secret name: the content of the file
// SecretsPath/name, as it is (not trimmed).
//
// # Errors
//   - "secret NAME not found", matching fs.ErrNotExist: the function has no
//     such secret, also when it has none at all (a Wasm function without
//     secrets has no filesystem, so no SecretsPath);
//   - an error for a name that is empty, "." or "..", or has a "/";
//   - the read's error otherwise ("secret NAME: reason").
func Secret(name string) (string, error) {
	return readSecret(SecretsPath, name)
}

// readSecret is Secret reading from dir. A failed read is "not found" when
// the file is missing or dir itself cannot be reached: under wasip1 a path
// under no preopen fails with EBADF, not ENOENT.
func readSecret(dir, name string) (string, error) {
	if name == "" || name == "." || name == ".." || strings.Contains(name, "/") {
		return "", fmt.Errorf("secret %q: invalid name", name)
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err == nil {
		return string(b), nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", &secretNotFound{name}
	}
	if _, serr := os.Stat(dir); serr != nil {
		return "", &secretNotFound{name}
	}
	return "", fmt.Errorf("secret %s: %w", name, err)
}

// secretNotFound is Secret's error for a secret the function does not have.
type secretNotFound struct{ name string }

func (e *secretNotFound) Error() string { return "secret " + e.name + " not found" }

// Unwrap makes the error match fs.ErrNotExist.
func (e *secretNotFound) Unwrap() error { return fs.ErrNotExist }
