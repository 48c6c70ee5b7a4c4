package containers

import (
	"context"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// TestApplyMovedTag: applying the same spec again after its tag moved to
// another image pulls it and replaces the replicas (local mode's answer to a
// redeploy of an unchanged function whose tag moved; the kubernetes backend
// pins the pods' image to the digest for the same effect). An unchanged tag
// keeps the replicas.
func TestApplyMovedTag(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t)
	ctx := context.Background()
	_, ref, img := echoOnLoopback(t, h)
	s := Spec{Name: "echo", Namespace: "fn", Image: ref}
	if err := m.Apply(ctx, s, 1); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m.Manager, "echo", "fn", 1)
	first := ids(m.Manager, "echo", "fn")
	if err := m.Apply(ctx, s, 1); err != nil {
		t.Fatal(err)
	}
	if got := ids(m.Manager, "echo", "fn"); !slices.Equal(got, first) {
		t.Fatalf("unchanged tag: replicas %v replaced by %v", first, got)
	}

	moved := mutate.Annotations(img, map[string]string{"version": "2"}).(v1.Image)
	if _, err := oci.Push(ctx, moved, ref); err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(ctx, s, 1); err != nil {
		t.Fatal(err)
	}
	got := ids(m.Manager, "echo", "fn")
	if len(got) != 1 || slices.Contains(first, got[0]) {
		t.Fatalf("after the tag moved: replicas %v (before %v), want a new one", got, first)
	}
	waitReady(t, m.Manager, "echo", "fn", 1)
}
