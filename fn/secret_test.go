package fn

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestReadSecret(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api-key"), []byte("s3cr3t\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "other"), []byte("x"), 0o400); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "a-dir"), 0o700); err != nil {
		t.Fatal(err)
	}
	if v, err := readSecret(dir, "api-key"); err != nil || v != "s3cr3t\n" {
		t.Errorf("api-key: %q %v, want the file as it is", v, err)
	}
	// A secret the function does not have: missing beside others, or no
	// secrets directory at all (a Wasm function without secrets).
	for _, d := range []string{dir, filepath.Join(dir, "no-such-dir")} {
		_, err := readSecret(d, "missing")
		if err == nil || err.Error() != "secret missing not found" || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: %v, want \"secret missing not found\" matching fs.ErrNotExist", d, err)
		}
	}
	for _, name := range []string{"", ".", "..", "../etc/passwd", "a/b"} {
		if _, err := readSecret(dir, name); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("name %q: %v, want an invalid-name error", name, err)
		}
	}
	if _, err := readSecret(dir, "a-dir"); err == nil || errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a directory: %v, want its read error", err)
	}
}

// TestSecretPath: Secret reads under SecretsPath; where that does not exist
// (this test's host, a function without secrets) every secret is not found.
func TestSecretPath(t *testing.T) {
	if _, err := os.Stat(SecretsPath); err == nil {
		t.Skipf("%s exists on this host", SecretsPath)
	}
	if _, err := Secret("api-key"); err == nil || err.Error() != "secret api-key not found" {
		t.Errorf("Secret: %v, want \"secret api-key not found\"", err)
	}
}
