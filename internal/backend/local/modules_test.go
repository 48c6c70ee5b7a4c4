package local

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// blobs lists the stored module blobs.
func blobs(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "wasm", "blobs", "*"))
	return m
}

func TestModuleStoreSharesAndCollects(t *testing.T) {
	f := newFixture(t, WithModuleCache(0))
	wantErr(t, f.b.Deploy(ctx, echoSpec("a")), nil)
	wantErr(t, f.b.Deploy(ctx, echoSpec("b")), nil)
	if n := len(blobs(t, f.dir)); n != 1 {
		t.Fatalf("%d blobs for two functions of one image, want 1", n)
	}
	if n := f.eng.compiles.Load(); n != 1 {
		t.Fatalf("%d compiles for two functions of one module, want 1", n)
	}
	d := echoSpec("b")
	d.Image = "echo:2"
	wantErr(t, f.b.Update(ctx, d), nil)
	if n := len(blobs(t, f.dir)); n != 2 {
		t.Fatalf("%d blobs after updating b to another image, want 2", n)
	}
	wantErr(t, f.b.Delete(ctx, "a", ""), nil)
	if n := len(blobs(t, f.dir)); n != 1 {
		t.Fatalf("%d blobs after deleting the only user of echo:1, want 1", n)
	}
	wantErr(t, f.b.Delete(ctx, "b", ""), nil)
	if n := len(blobs(t, f.dir)); n != 0 {
		t.Fatalf("%d blobs with no function left", n)
	}
	if n, _ := f.b.wasm.(*wasmDriver).cache.stats(); n != 0 {
		t.Fatalf("%d compiled programs kept with no function left and no module cache", n)
	}
}

func TestModuleStoreSweep(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("a")), nil)
	wantErr(t, f.b.Close(ctx), nil)
	orphan := filepath.Join(f.dir, "wasm", "blobs", "0000.wasm")
	tmp := filepath.Join(f.dir, "wasm", provider.DefaultNamespace, tmpPrefix+"a.wasm")
	wantErr(t, os.WriteFile(orphan, []byte("old"), 0o600), nil)
	wantErr(t, os.Link(blobs(t, f.dir)[0], tmp), nil)

	g := openFixture(t, f.dir, f.eng, f.reg)
	for _, p := range []string{orphan, tmp} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived the start-up sweep (%v)", p, err)
		}
	}
	if n := len(blobs(t, f.dir)); n != 1 {
		t.Fatalf("%d blobs after the sweep, want the one in use", n)
	}
	if st, _ := g.b.Function(ctx, "a", ""); st.AvailableReplicas != 1 {
		t.Fatalf("function after sweep: %+v", st)
	}
}
