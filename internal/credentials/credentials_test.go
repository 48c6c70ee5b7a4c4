package credentials

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/handlers"
)

func writeCreds(t *testing.T, dir, user, pass string) {
	t.Helper()
	for name, v := range map[string]string{handlers.UserFile: user, handlers.PasswordFile: pass} {
		if v == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// First start generates admin and a random password into the state dir
// (dir 0700, files 0600); later starts read the same ones back.
func TestResolveGeneratesOnceAndReuses(t *testing.T) {
	state := t.TempDir()
	o := Options{Addr: ":8081", SecretMountPath: filepath.Join(state, "no-mount"), StateDir: state}
	first, err := Resolve(o)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(state, DirName)
	if first.Source != Generated || first.Dir != dir || first.Creds.User != GeneratedUser || len(first.Creds.Password) < 32 {
		t.Fatalf("first start: %+v", first)
	}
	if m := mode(t, dir); m != 0o700 {
		t.Errorf("dir mode %v, want 0700", m)
	}
	for _, name := range []string{handlers.UserFile, handlers.PasswordFile} {
		if m := mode(t, filepath.Join(dir, name)); m != 0o600 {
			t.Errorf("%s mode %v, want 0600", name, m)
		}
	}
	if first.PasswordFile() != filepath.Join(dir, handlers.PasswordFile) {
		t.Errorf("PasswordFile %q", first.PasswordFile())
	}
	// Widened by hand: the next start tightens them again.
	if err := os.Chmod(filepath.Join(dir, handlers.PasswordFile), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := Resolve(o)
	if err != nil {
		t.Fatal(err)
	}
	if second.Source != FromStateDir || *second.Creds != *first.Creds {
		t.Fatalf("second start: %v from %s, want the first start's", second.Creds, second.Source)
	}
	if m := mode(t, filepath.Join(dir, handlers.PasswordFile)); m != 0o600 {
		t.Errorf("password file mode after restart %v, want 0600", m)
	}
	other, err := Resolve(Options{Addr: ":8081", StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if other.Creds.Password == first.Creds.Password {
		t.Error("two state dirs got the same password")
	}
}

// A start cut between the two writes (user file only) generates anew.
func TestResolveRegeneratesIncomplete(t *testing.T) {
	state := t.TempDir()
	dir := filepath.Join(state, DirName)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	writeCreds(t, dir, "admin", "")
	r, err := Resolve(Options{Addr: ":8081", StateDir: state})
	if err != nil || r.Source != Generated || r.Creds.Password == "" {
		t.Fatalf("Resolve = %+v, %v", r, err)
	}
}

// Mounted credentials (the chart's Secret, faasd) win over generated ones,
// with or without --basic-auth; --basic-auth makes them mandatory.
func TestResolveSecretMount(t *testing.T) {
	state, mount := t.TempDir(), t.TempDir()
	if _, err := Resolve(Options{Addr: ":8081", StateDir: state}); err != nil {
		t.Fatal(err)
	}
	writeCreds(t, mount, "ops", "s3cret")
	for _, require := range []bool{false, true} {
		r, err := Resolve(Options{Addr: ":8081", StateDir: state, SecretMountPath: mount, RequireMounted: require})
		if err != nil {
			t.Fatal(err)
		}
		if r.Source != FromSecretMount || r.Creds.User != "ops" || r.Creds.Password != "s3cret" || r.Dir != mount {
			t.Errorf("require=%v: %+v", require, r)
		}
	}
	if _, err := Resolve(Options{Addr: ":8081", StateDir: state, SecretMountPath: t.TempDir(), RequireMounted: true}); err == nil {
		t.Error("--basic-auth without mounted files accepted")
	}
	half := t.TempDir()
	writeCreds(t, half, "ops", "")
	if _, err := Resolve(Options{Addr: ":8081", StateDir: state, SecretMountPath: half}); err == nil {
		t.Error("a mount with only the user file accepted")
	}
}

func TestResolveNoAuth(t *testing.T) {
	tests := []struct {
		addr string
		err  error
	}{
		{"127.0.0.1:8080", nil},
		{"127.1.2.3:0", nil},
		{"[::1]:8080", nil},
		{"localhost:8080", nil},
		{"LocalHost:8080", nil},
		{":8080", ErrNotLoopback},
		{"0.0.0.0:8080", ErrNotLoopback},
		{"[::]:8080", ErrNotLoopback},
		{"10.0.0.5:8080", ErrNotLoopback},
		{"example.com:8080", ErrNotLoopback},
		{"127.0.0.1", ErrNotLoopback}, // no port: not a listen address
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			state := t.TempDir()
			r, err := Resolve(Options{Addr: tt.addr, StateDir: state, NoAuth: true})
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && (r.Source != Off || r.Creds != nil) {
				t.Fatalf("result %+v", r)
			}
			if _, err := os.Stat(filepath.Join(state, DirName)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("credentials written with auth off: %v", err)
			}
		})
	}
	if _, err := Resolve(Options{Addr: "127.0.0.1:1", NoAuth: true, RequireMounted: true}); !errors.Is(err, ErrConflict) {
		t.Errorf("--basic-auth with --insecure-no-auth: %v", err)
	}
}
