package oci

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestBasicAuth(t *testing.T) {
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "fn" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := WasmImage(testModule(t), FormArtifact)
	if err != nil {
		t.Fatal(err)
	}
	ref := host + "/fn/private:v1"
	if _, err := Push(testCtx(t), img, ref); !errors.Is(err, provider.ErrImage) || errors.Is(err, ErrNotFound) {
		t.Fatalf("push without credentials: %v", err)
	}
	if _, err := Push(testCtx(t), img, ref, WithBasicAuth("fn", "s3cret")); err != nil {
		t.Fatal(err)
	}
	if _, err := PullWasm(testCtx(t), ref, WithBasicAuth("fn", "wrong")); !errors.Is(err, provider.ErrImage) {
		t.Fatalf("pull with wrong password: %v", err)
	}
	if _, err := PullWasm(testCtx(t), ref, WithBasicAuth("fn", "s3cret")); err != nil {
		t.Fatal(err)
	}
}
