package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// A crash between writing a function's secrets mount and saving its record
// leaves the mount (and maybe a temporary file) behind; a restart removes
// it and keeps the mounts of saved functions.
func TestRestartPrunesMountsOfUnsavedFunctions(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.CreateSecret(ctx, provider.Secret{Name: "s", Value: "v"}), nil)
	d := echoSpec("echo")
	d.Secrets = []string{"s"}
	wantErr(t, f.b.Deploy(ctx, d), nil)
	wantErr(t, f.b.Close(ctx), nil)

	ns := filepath.Join(f.dir, "mounts", provider.DefaultNamespace)
	ghost := filepath.Join(ns, "ghost")
	for _, name := range []string{"s", tmpPrefix + "s-123"} {
		if err := os.MkdirAll(ghost, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(ghost, name), []byte("v"), 0o400); err != nil {
			t.Fatal(err)
		}
	}
	unknownNS := filepath.Join(f.dir, "mounts", "gone", "fn")
	if err := os.MkdirAll(unknownNS, 0o700); err != nil {
		t.Fatal(err)
	}

	openFixture(t, f.dir, f.eng, f.reg)
	for _, dir := range []string{ghost, unknownNS} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("mount %s of an unsaved function survived the restart (%v)", dir, err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(ns, "echo", "s")); err != nil || string(b) != "v" {
		t.Errorf("mount of the saved function: %q, %v", b, err)
	}
}
