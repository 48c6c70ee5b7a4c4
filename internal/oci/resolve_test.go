package oci

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
	"github.com/google/go-containerregistry/pkg/registry"
)

// TestResolve: a tag costs one HEAD of its manifest and resolves to the
// digest it names now (a moved tag to the new one), a digest reference
// costs nothing, an index resolves to its own digest, and the pinned
// reference pulls what the digest names.
func TestResolve(t *testing.T) {
	host, counts := ocitest.NewCountingRegistry(t)
	module := testModule(t)
	v1img, err := WasmImage(module, FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	v2img, err := WasmImage(append(append([]byte{}, module...), 0, 1, 'x'), FormArtifact) // custom section "x"
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/fn/echo:1"
	d1 := mustPush(t, v1img, ref)

	counts.Reset()
	digest, pinned, err := Resolve(testCtx(t), ref)
	if err != nil {
		t.Fatal(err)
	}
	if digest != d1 || pinned != host+"/fn/echo@"+d1 {
		t.Fatalf("Resolve = %s %s, want %s pinned", digest, pinned, d1)
	}
	if counts.Count("HEAD manifest") != 1 || counts.Count("GET manifest") != 0 || counts.Count("GET blob") != 0 {
		t.Fatalf("requests of one Resolve: %s, want one HEAD of the manifest", counts)
	}

	d2 := mustPush(t, v2img, ref)
	if digest, _, err := Resolve(testCtx(t), ref); err != nil || digest != d2 {
		t.Fatalf("moved tag resolves to %s (%v), want %s", digest, err, d2)
	}
	m, err := PullWasm(testCtx(t), pinned)
	if err != nil || string(m.Module) != string(module) || m.Digest != d1 || m.IndexDigest != "" {
		t.Fatalf("pull of the pinned reference after the tag moved: %v, digest %s, want the first module", err, m.Digest)
	}

	counts.Reset()
	if digest, again, err := Resolve(testCtx(t), pinned); err != nil || digest != d1 || again != pinned {
		t.Fatalf("Resolve(%s) = %s %s %v", pinned, digest, again, err)
	}
	if counts.String() != "map[]" {
		t.Fatalf("a digest reference sent requests: %s", counts)
	}

	idx := index(t, v1img)
	if _, err := PushIndex(testCtx(t), idx, host+"/fn/multi:1"); err != nil {
		t.Fatal(err)
	}
	digest, pinned, err = Resolve(testCtx(t), host+"/fn/multi:1")
	if want := digestOf(t, idx); err != nil || digest != want {
		t.Fatalf("index resolves to %s (%v), want the index digest %s", digest, err, want)
	}
	if m, err := PullWasm(testCtx(t), pinned); err != nil || m.IndexDigest != digest || m.Digest != d1 {
		t.Fatalf("pull of the pinned index: %v, index %s entry %s", err, m.IndexDigest, m.Digest)
	}

	if _, _, err := Resolve(testCtx(t), host+"/fn/missing:1"); !errors.Is(err, ErrNotFound) || !errors.Is(err, provider.ErrImage) {
		t.Fatalf("missing tag: %v, want ErrNotFound", err)
	}
	if _, _, err := Resolve(testCtx(t), "UPPER/case"); !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("malformed reference: %v, want ErrInvalid", err)
	}
}

// TestResolveWithoutHeadDigest: a registry whose answer to HEAD lacks
// Docker-Content-Digest is asked with GET, and the digest is computed from
// the manifest it sends.
func TestResolveWithoutHeadDigest(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodHead {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			if k != "Docker-Content-Digest" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
	}))
	t.Cleanup(srv.Close)
	ref := strings.TrimPrefix(srv.URL, "http://") + "/fn/echo:1"
	img, err := WasmImage(testModule(t), FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	want := mustPush(t, img, ref)
	if digest, _, err := Resolve(testCtx(t), ref); err != nil || digest != want {
		t.Fatalf("Resolve = %s (%v), want %s", digest, err, want)
	}
}

// TestPullPinnedRefusesOtherManifest: a registry that answers a pinned
// reference with another manifest (a tag moved under a cache, or a lying
// registry) fails the pull: the module of another digest is never returned.
func TestPullPinnedRefusesOtherManifest(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	var mu sync.Mutex
	var swap [2]string // serve manifest swap[1] when swap[0] is asked for
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		from, to := swap[0], swap[1]
		mu.Unlock()
		if from != "" && strings.HasSuffix(r.URL.Path, "/manifests/"+from) {
			r.URL.Path = strings.TrimSuffix(r.URL.Path, from) + to
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	module := testModule(t)
	a, err := WasmImage(module, FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	b, err := WasmImage(append(append([]byte{}, module...), 0, 1, 'x'), FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	da := mustPush(t, a, host+"/fn/a:1")
	db := mustPush(t, b, host+"/fn/b:1")
	mu.Lock()
	swap = [2]string{da, db}
	mu.Unlock()
	if m, err := PullWasm(testCtx(t), host+"/fn/a@"+da); err == nil {
		t.Fatalf("pulled %d bytes of manifest %s for %s, want an error", len(m.Module), m.Digest, da)
	}
}
