package k8s

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// TestReadYourWrites: every read is served from informer caches, and each
// write returns only once they show it, so a GET right after a POST, PUT or
// DELETE answers with what was written. The e2e namespaces step once read
// a namespace's old annotations right after its PUT.
func TestReadYourWrites(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, newFake())
	if err := b.CreateNamespace(ctx, provider.FunctionNamespace{Name: "team"}); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		v := strconv.Itoa(i)
		if err := b.UpdateNamespace(ctx, provider.FunctionNamespace{Name: "team", Annotations: map[string]string{"round": v}}); err != nil {
			t.Fatal(err)
		}
		if ns, err := b.Namespace(ctx, "team"); err != nil || ns.Annotations["round"] != v {
			t.Fatalf("round %d: namespace after its update: %+v, %v", i, ns, err)
		}

		name := "f" + v
		if err := b.Deploy(ctx, provider.FunctionDeployment{Service: name, Image: "i:1", Namespace: "team"}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Function(ctx, name, "team"); err != nil {
			t.Fatalf("round %d: status right after deploy: %v", i, err)
		}
		if err := b.Update(ctx, provider.FunctionDeployment{Service: name, Image: "i:2", Namespace: "team"}); err != nil {
			t.Fatal(err)
		}
		if st, err := b.Function(ctx, name, "team"); err != nil || st.Image != "i:2" {
			t.Fatalf("round %d: status right after update: %+v, %v", i, st, err)
		}
		if err := b.Scale(ctx, name, "team", 3); err != nil {
			t.Fatal(err)
		}
		if st, err := b.Function(ctx, name, "team"); err != nil || st.Replicas != 3 {
			t.Fatalf("round %d: status right after scale to 3: %+v, %v", i, st, err)
		}
		if err := b.Delete(ctx, name, "team"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Function(ctx, name, "team"); !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("round %d: status right after delete: %v, want ErrNotFound", i, err)
		}

		if err := b.CreateSecret(ctx, provider.Secret{Name: name, Namespace: "team", Value: v}); err != nil {
			t.Fatal(err)
		}
		if refs, _ := b.Secrets(ctx, "team"); len(refs) != 1 || refs[0].Name != name {
			t.Fatalf("round %d: secrets right after create: %+v", i, refs)
		}
		if err := b.DeleteSecret(ctx, name, "team"); err != nil {
			t.Fatal(err)
		}
		if refs, _ := b.Secrets(ctx, "team"); len(refs) != 0 {
			t.Fatalf("round %d: secrets right after delete: %+v", i, refs)
		}
	}
	if err := b.DeleteNamespace(ctx, "team"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Namespace(ctx, "team"); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("namespace right after delete: %v, want ErrNotFound", err)
	}
}

func TestAtLeast(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		ok        bool
	}{
		{"5", "5", true}, {"6", "5", true}, {"4", "5", false}, {"10", "9", true},
		{"", "", true}, {"a", "a", true}, {"b", "a", false}, {"", "5", false},
	} {
		if ok := atLeast(tc.got, tc.want); ok != tc.ok {
			t.Errorf("atLeast(%q, %q) = %v, want %v", tc.got, tc.want, ok, tc.ok)
		}
	}
}
