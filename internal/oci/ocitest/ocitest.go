// Package ocitest starts real OCI registries on loopback for tests.
//
// NewRegistry serves go-containerregistry's in-process registry (blobs and
// manifests in memory) on 127.0.0.1 and stops it when the test ends. Images
// are built and pushed with package oci; registries on loopback are reached
// over plain HTTP.
//
// It does not authenticate, serve TLS, or persist anything.
package ocitest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// NewRegistry starts an in-memory registry on 127.0.0.1 and returns its
// host:port, for references like host+"/fn/echo:latest". The registry stops
// in t.Cleanup.
func NewRegistry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// ClosedAddr returns a loopback host:port on which nothing listens, for
// "registry unreachable" tests.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(nil)
	addr := strings.TrimPrefix(srv.URL, "http://")
	srv.Close()
	return addr
}
