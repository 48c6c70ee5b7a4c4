package pgserver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestStartStop(t *testing.T) {
	if err := Available(); err != nil {
		if RequiredByCI() {
			t.Fatalf("CI=true and PostgreSQL is missing (hack/install-deps.sh installs it): %v", err)
		}
		t.Skip(err)
	}
	dir, err := os.MkdirTemp("", "pgserver-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx := context.Background()
	s, err := Start(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); err != nil {
		t.Fatalf("no socket: %v", err)
	}
	out, err := exec.Command(filepath.Join(DefaultBinDir, "pg_isready"), "-h", dir, "-p", "5432").CombinedOutput()
	if err != nil {
		t.Fatalf("pg_isready: %v %s", err, out)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".s.PGSQL.5432")); !os.IsNotExist(err) {
		t.Fatalf("socket still there after Stop: %v", err)
	}
}

func TestStartRelativeDir(t *testing.T) {
	if _, err := Start(context.Background(), "relative/dir"); err == nil {
		t.Fatal("want error for a relative dir")
	}
}

// RequiredByCI: a missing PostgreSQL fails tests only under CI=true.
func TestRequiredByCI(t *testing.T) {
	for v, want := range map[string]bool{"": false, "false": false, "no": false, "true": true, "1": true} {
		t.Setenv("CI", v)
		if got := RequiredByCI(); got != want {
			t.Errorf("CI=%q: RequiredByCI() = %v, want %v", v, got, want)
		}
	}
}
