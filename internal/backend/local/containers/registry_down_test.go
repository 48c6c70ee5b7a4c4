package containers

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/faas-wasm/faas-wasm/internal/oci"
)

// echoOnLoopback starts a loopback registry (closed by the test's cleanup,
// or earlier by the caller) holding the harness's echo image as
// REGISTRY/moved/echo:1, and returns it, that reference and the image.
func echoOnLoopback(t *testing.T, h *harness) (*httptest.Server, string, v1.Image) {
	t.Helper()
	reg := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(reg.Close)
	src, err := name.ParseReference(h.images[imgEcho])
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(src)
	if err != nil {
		t.Fatal(err)
	}
	ref := strings.TrimPrefix(reg.URL, "http://") + "/moved/echo:1"
	if _, err := oci.Push(context.Background(), img, ref); err != nil {
		t.Fatal(err)
	}
	return reg, ref, img
}

// An unchanged Apply keeps working while the registry is away; a new
// function on that registry fails with ErrRegistry.
func TestApplyWithRegistryDown(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t)
	ctx := context.Background()
	reg, ref, _ := echoOnLoopback(t, h)
	s := Spec{Name: "echo", Namespace: "fn", Image: ref}
	if err := m.Apply(ctx, s, 1); err != nil {
		t.Fatal(err)
	}
	reg.Close()
	if err := m.Apply(ctx, s, 2); err != nil {
		t.Fatalf("unchanged Apply with the registry down: %v", err)
	}
	waitReady(t, m.Manager, "echo", "fn", 2)
	other := s
	other.Name = "other"
	if err := m.Apply(ctx, other, 1); !errors.Is(err, ErrRegistry) {
		t.Fatalf("new function with the registry down: %v, want ErrRegistry", err)
	}
}
