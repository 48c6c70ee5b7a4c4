package k8s

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestDeployPinsImageDigest: the pods run the image pinned to the digest its
// tag names at each deploy or update, so an update of the same spec after
// the tag moved changes the pod template (the pods roll); the function's
// status (GET /system/functions) shows the image as deployed. A reference
// by digest stays as it is, and an image the provider cannot reach runs as
// named. On the old code the pods ran the tag: the update changed nothing.
func TestDeployPinsImageDigest(t *testing.T) {
	ctx := context.Background()
	reg := ocitest.NewRegistry(t)
	ref := reg + "/fn/pin:1"
	push := func(content string) string {
		t.Helper()
		img, err := oci.ContainerImage([]byte(content), oci.ContainerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oci.Push(ctx, img, ref); err != nil {
			t.Fatal(err)
		}
		_, pinned, err := oci.Resolve(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		return pinned
	}
	c := newFake()
	b := newBackend(t, c, registryLookups)
	podImage := func(name string) string {
		t.Helper()
		d, err := c.AppsV1().Deployments(provider.DefaultNamespace).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d.Spec.Template.Spec.Containers[0].Image
	}
	shown := func(name string) string {
		t.Helper()
		st, err := b.Function(ctx, name, "")
		if err != nil {
			t.Fatal(err)
		}
		return st.Image
	}

	v1 := push("v1")
	fn := provider.FunctionDeployment{Service: "pin", Image: ref}
	deployed(t, b, fn)
	if got := podImage("pin"); got != v1 || !strings.Contains(got, "@sha256:") {
		t.Fatalf("pods run %s, want %s", got, v1)
	}
	if got := shown("pin"); got != ref {
		t.Errorf("status shows %s, want the image as deployed, %s", got, ref)
	}

	v2 := push("v2")
	if v2 == v1 {
		t.Fatal("the tag did not move")
	}
	if err := b.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
	if got := podImage("pin"); got != v2 {
		t.Fatalf("after the tag moved, an update of the same spec runs %s, want %s", got, v2)
	}
	eventually(t, "the update in the cache", func() bool {
		fns, err := b.Functions(ctx, "")
		return err == nil && len(fns) == 1 && fns[0].Image == ref
	})

	for _, tc := range []struct {
		name, image, want string
		annotations       map[string]string
	}{
		{"bydigest", v1, v1, nil},
		{"annotated", ref, v2, map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer}},
		{"unreachable", ocitest.ClosedAddr(t) + "/fn/x:1", "", map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer}},
	} {
		deployed(t, b, provider.FunctionDeployment{Service: tc.name, Image: tc.image, Annotations: tc.annotations})
		want := tc.want
		if want == "" {
			want = tc.image
		}
		if got := podImage(tc.name); got != want {
			t.Errorf("%s: pods run %s, want %s", tc.name, got, want)
		}
		if got := shown(tc.name); got != tc.image {
			t.Errorf("%s: status shows %s, want %s", tc.name, got, tc.image)
		}
	}
}
