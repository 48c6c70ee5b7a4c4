// Package ocitest starts real OCI registries on loopback for tests.
//
// NewRegistry serves go-containerregistry's in-process registry (blobs and
// manifests in memory) on 127.0.0.1 and stops it when the test ends. Images
// are built and pushed with package oci; registries on loopback are reached
// over plain HTTP. NewCountingRegistry does the same and counts the
// requests it answers, for tests of what a client does not fetch.
//
// It does not authenticate, serve TLS, or persist anything.
package ocitest

import (
	"encoding/binary"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// Requests counts the requests a registry answered, by kind: "ping" (GET
// /v2/), "HEAD manifest", "GET manifest", "GET blob", and METHOD plus the
// kind for the rest ("PUT manifest", "POST upload", ...).
type Requests struct {
	mu sync.Mutex
	n  map[string]int
}

// Count returns how many requests of kind were answered.
func (r *Requests) Count(kind string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[kind]
}

// Reset forgets the requests counted so far.
func (r *Requests) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n = map[string]int{}
}

// String lists the counts, for failure messages.
func (r *Requests) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.n)
}

func (r *Requests) add(req *http.Request) {
	kind := "other"
	switch p := req.URL.Path; {
	case p == "/v2/" || p == "/v2":
		kind = "ping"
	case strings.Contains(p, "/manifests/"):
		kind = "manifest"
	case strings.Contains(p, "/blobs/uploads"):
		kind = "upload"
	case strings.Contains(p, "/blobs/"):
		kind = "blob"
	}
	if kind != "ping" {
		kind = req.Method + " " + kind
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[kind]++
}

// NewCountingRegistry is NewRegistry counting the requests it answers.
func NewCountingRegistry(t testing.TB) (string, *Requests) {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	counts := &Requests{n: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counts.add(r)
		reg.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://"), counts
}

// WithCustomSection returns a copy of a WebAssembly module with a custom
// section appended: a module of another digest that behaves the same, for
// tests that need a new module (one to pull and compile) cheaply.
func WithCustomSection(module []byte, name, payload string) []byte {
	body := binary.AppendUvarint(nil, uint64(len(name))) // unsigned LEB128
	body = append(append(body, name...), payload...)
	out := append(append([]byte{}, module...), 0) // section id 0: custom
	out = binary.AppendUvarint(out, uint64(len(body)))
	return append(out, body...)
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
