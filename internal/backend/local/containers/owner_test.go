package containers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/containerd/containerd/namespaces"

	"github.com/faas-wasm/faas-wasm/provider"
)

// runEcho applies one replica of the echo image as echo.fn and returns the
// ids of its ready replicas.
func runEcho(t *testing.T, tm *testManager) []string {
	t.Helper()
	s := Spec{Name: "echo", Namespace: "fn", Image: requireHarness(t).images[imgEcho]}
	if err := tm.Apply(context.Background(), s, 1); err != nil {
		t.Fatal(err)
	}
	waitReady(t, tm.Manager, "echo", "fn", 1)
	return ids(tm.Manager, "echo", "fn")
}

// beside returns a manager on the same containerd namespace and network as
// tm but with a state directory of its own: a second provider on the host.
func (tm *testManager) beside(t *testing.T) *Manager {
	t.Helper()
	m, err := New(context.Background(), requireHarness(t).Socket(), append(slices.Clone(tm.opts), WithStateDir(t.TempDir()))...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// Two managers with different state directories on one containerd
// namespace (two providers on one host) never adopt or remove each other's
// containers, also when they run a function of the same name. On 5770c34
// the second manager's Recover adopted the first one's function (its
// provider then removed it as an orphan) and its Remove deleted it.
func TestManagersShareANamespace(t *testing.T) {
	h := requireHarness(t)
	a := newTestManager(t)
	ctx := context.Background()
	mine := runEcho(t, a)

	b := a.beside(t)
	specs, err := b.Recover(ctx)
	if err != nil || len(specs) != 0 {
		t.Fatalf("second manager's Recover = %v, %v; want nothing adopted", specs, err)
	}
	if err := b.Remove(ctx, "echo", "fn"); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("second manager's Remove of a function it never deployed = %v, want ErrNotFound", err)
	}
	if err := b.Apply(ctx, Spec{Name: "echo", Namespace: "fn", Image: h.images[imgEcho], Env: map[string]string{"B": "1"}}, 2); err != nil {
		t.Fatal(err)
	}
	waitReady(t, b, "echo", "fn", 2)
	if err := b.Remove(ctx, "echo", "fn"); err != nil {
		t.Fatal(err)
	}

	r := a.Replicas("echo", "fn")
	if len(r) != 1 || r[0].ID != mine[0] || r[0].Restarts != 0 || !r[0].Ready {
		t.Fatalf("first manager's replicas after the second one came and went: %+v, want %s untouched", r, mine[0])
	}
	if code, body := call(a.Handler("echo", "fn"), "POST", "/", "still here"); code != 200 || body != "still here" {
		t.Fatalf("first manager's function: %d %q", code, body)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a2 := a.reopen(t)
	specs, err = a2.Recover(ctx)
	if err != nil || len(specs) != 1 || !slices.Equal(ids(a2, "echo", "fn"), mine) {
		t.Fatalf("first manager's Recover = %v, %v with replicas %v; want its own %v", specs, err, ids(a2, "echo", "fn"), mine)
	}
}

// A container made before containers carried an owner id is adopted by
// the manager whose state directory holds its replica directory (and
// labelled with its owner id then), by no other.
func TestAdoptsUnlabelledContainersOfItsStateDir(t *testing.T) {
	h := requireHarness(t)
	a := newTestManager(t)
	ctx := context.Background()
	id := runEcho(t, a)[0]
	c, err := h.client(t).LoadContainer(namespaces.WithNamespace(ctx, a.ns), id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SetLabels(namespaces.WithNamespace(ctx, a.ns), map[string]string{labelOwner: ""}); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if specs, err := a.beside(t).Recover(ctx); err != nil || len(specs) != 0 {
		t.Fatalf("another state dir's Recover = %v, %v; want nothing adopted", specs, err)
	}
	a2 := a.reopen(t)
	if specs, err := a2.Recover(ctx); err != nil || len(specs) != 1 || !slices.Equal(ids(a2, "echo", "fn"), []string{id}) {
		t.Fatalf("own state dir's Recover = %v, %v with replicas %v; want %s", specs, err, ids(a2, "echo", "fn"), id)
	}
	labels, err := c.Labels(namespaces.WithNamespace(ctx, a.ns))
	if err != nil || labels[labelOwner] != a2.owner {
		t.Fatalf("owner label after adoption = %q (%v), want %q", labels[labelOwner], err, a2.owner)
	}
}

// Concurrent first uses of one state directory agree on one owner id, and
// later ones read it back.
func TestLoadOwner(t *testing.T) {
	dir := t.TempDir()
	got := make([]string, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Go(func() {
			id, err := loadOwner(dir)
			if err != nil {
				t.Error(err)
			}
			got[i] = id
		})
	}
	wg.Wait()
	again, err := loadOwner(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range got {
		if id != again || len(id) != 32 {
			t.Fatalf("owner ids %v then %q, want one 32-digit id", got, again)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("state dir holds %d entries, want only %s", len(entries), ownerFile)
	}
	if err := os.WriteFile(filepath.Join(dir, ownerFile), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOwner(dir); err == nil {
		t.Fatal("an empty owner file was accepted")
	}
}
