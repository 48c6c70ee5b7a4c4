package local

import (
	"context"
	"net/http"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// answer calls a function once and returns the fake module's answer.
func answer(t *testing.T, f *fixture, name string) string {
	t.Helper()
	h, err := f.b.Invoker(ctx, name, "")
	wantErr(t, err, nil)
	code, body, _ := call(t, h, http.MethodPost, "/", "x")
	if code != http.StatusCreated {
		t.Fatalf("%s answered %d %q", name, code, body)
	}
	return body
}

// TestModuleCacheAcrossDeploys: a deploy of an image whose digest was seen
// before, by a function since deleted, resolves the tag and neither pulls
// nor compiles.
func TestModuleCacheAcrossDeploys(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("a")), nil)
	wantErr(t, f.b.Delete(ctx, "a", ""), nil)
	pulls, resolves, compiles := f.reg.pulls, f.reg.resolves, f.eng.compiles.Load()
	wantErr(t, f.b.Deploy(ctx, echoSpec("b")), nil)
	if f.reg.pulls != pulls || f.eng.compiles.Load() != compiles {
		t.Fatalf("deploy of a cached image: %d pulls, %d compiles, want none", f.reg.pulls-pulls, f.eng.compiles.Load()-compiles)
	}
	if f.reg.resolves != resolves+1 {
		t.Fatalf("deploy of a cached image resolved its tag %d times, want 1", f.reg.resolves-resolves)
	}
	if got := answer(t, f, "b"); got != "echo-v1||x" {
		t.Fatalf("b answered %q", got)
	}
}

// TestModuleCacheMovedTag: a tag that moved to another module resolves to
// another digest, so the deploy pulls and runs the new module, never the
// cached one.
func TestModuleCacheMovedTag(t *testing.T) {
	f := newFixture(t)
	wantErr(t, f.b.Deploy(ctx, echoSpec("a")), nil)
	f.reg.set("echo:1", "echo-v3")
	pulls := f.reg.pulls
	wantErr(t, f.b.Deploy(ctx, echoSpec("b")), nil)
	if f.reg.pulls != pulls+1 {
		t.Fatalf("deploy after the tag moved pulled %d times, want 1", f.reg.pulls-pulls)
	}
	if got := answer(t, f, "b"); got != "echo-v3||x" {
		t.Fatalf("b answered %q, want the module the tag names now", got)
	}
	if got := answer(t, f, "a"); got != "echo-v1||x" {
		t.Fatalf("a answered %q, want the module it was deployed with", got)
	}
}

// TestModuleCacheEvicts: idle modules are kept within the bound, least
// recently used dropped first, and a dropped one is pulled again; modules
// in use are kept whatever the bound.
func TestModuleCacheEvicts(t *testing.T) {
	// A fake module counts twice its length: 14 bytes for "echo-v1".
	f := newFixture(t, WithModuleCache(20))
	cache := f.b.wasm.(*wasmDriver).cache
	wantErr(t, f.b.Deploy(ctx, echoSpec("a")), nil)
	d := echoSpec("b")
	d.Image = "echo:2"
	wantErr(t, f.b.Deploy(ctx, d), nil)
	if n, size := cache.stats(); n != 2 || size != 28 {
		t.Fatalf("two modules in use: cache holds %d (%d bytes), want both", n, size)
	}
	wantErr(t, f.b.Delete(ctx, "a", ""), nil)
	if n, _ := cache.stats(); n != 1 {
		t.Fatalf("after the first idle module pushed the cache over its bound: %d modules, want 1", n)
	}
	wantErr(t, f.b.Delete(ctx, "b", ""), nil)
	if n, size := cache.stats(); n != 1 || size != 14 {
		t.Fatalf("one idle module within the bound: %d modules, %d bytes", n, size)
	}
	pulls := f.reg.pulls
	wantErr(t, f.b.Deploy(ctx, d), nil) // echo:2, kept
	wantErr(t, f.b.Deploy(ctx, echoSpec("a")), nil)
	if f.reg.pulls != pulls+1 {
		t.Fatalf("%d pulls, want 1: echo:1 was evicted, echo:2 kept", f.reg.pulls-pulls)
	}
}

// TestModuleCacheRefusesOtherDigest: a pull that brings the module of
// another digest than the reference resolved to fails the deploy.
func TestModuleCacheRefusesOtherDigest(t *testing.T) {
	f := newFixture(t)
	w := f.b.wasm.(*wasmDriver)
	pull := w.src.pull
	w.src.pull = func(ctx context.Context, ref string) (pulledModule, error) {
		p, err := pull(ctx, ref)
		p.digest = fakeDigest("something else")
		return p, err
	}
	wantErr(t, f.b.Deploy(ctx, echoSpec("a")), provider.ErrImage)
	if n, _ := w.cache.stats(); n != 0 {
		t.Fatalf("%d modules cached from a pull of the wrong digest", n)
	}
}
