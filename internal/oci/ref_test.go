package oci

import (
	"errors"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		ref      string
		opts     []Option
		scheme   string
		registry string
	}{
		{"127.0.0.1:5000/fn/echo:v1", nil, "http", "127.0.0.1:5000"},
		{"127.1.2.3:5000/fn/echo", nil, "http", "127.1.2.3:5000"},
		{"localhost:5000/fn/echo", nil, "http", "localhost:5000"},
		{"localhost/fn/echo", nil, "http", "localhost"},
		{"[::1]:5000/fn/echo@sha256:" + strings.Repeat("0", 64), nil, "http", "[::1]:5000"},
		{"registry.example.com/fn/echo:v1", nil, "https", "registry.example.com"},
		{"registry.example.com/fn/echo:v1", []Option{WithInsecureRegistries("registry.example.com")}, "http", "registry.example.com"},
		{"registry.example.com:5000/fn/echo", []Option{WithInsecureRegistries("Registry.Example.com:5000")}, "http", "registry.example.com:5000"},
		{"registry.example.com:5000/fn/echo", []Option{WithInsecureRegistries("registry.example.com:6000")}, "https", "registry.example.com:5000"},
		{"8.8.8.8:5000/fn/echo", nil, "https", "8.8.8.8:5000"},
		{"ghcr.io/openfaas/figlet:latest", nil, "https", "ghcr.io"},
		{"functions/figlet", nil, "https", "index.docker.io"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			r, err := ParseReference(tt.ref, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Context().Scheme(); got != tt.scheme {
				t.Errorf("scheme %s, want %s", got, tt.scheme)
			}
			if got := r.Context().RegistryStr(); got != tt.registry {
				t.Errorf("registry %s, want %s", got, tt.registry)
			}
		})
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true,
		"128.0.0.1": false, "example.com": false, "": false, "::2": false, "localhost.example.com": false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v", host, got)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"127.0.0.1:5000/fn/echo:v1", "[::1]:5000/a@sha256:" + strings.Repeat("a", 64), "busybox",
		"", " x", "a/b/c:d:e", "UPPER", "host:99999/x", "[::1/x", "x@sha256:", "a//b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			if !errors.Is(err, ErrInvalidReference) || !errors.Is(err, provider.ErrInvalid) {
				t.Fatalf("ParseReference(%q) error %v lacks its classes", s, err)
			}
			return
		}
		again, err := ParseReference(r.String())
		if err != nil {
			t.Fatalf("ParseReference(%q) = %q, which does not parse: %v", s, r, err)
		}
		if again.String() != r.String() || again.Context().Scheme() != r.Context().Scheme() {
			t.Fatalf("%q: %q (%s) then %q (%s)", s, r, r.Context().Scheme(), again, again.Context().Scheme())
		}
	})
}
