package containers

import (
	"errors"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestNormalizeRef(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "fn", want: "docker.io/library/fn:latest"},
		{in: "127.0.0.1:5000/fn:1", want: "127.0.0.1:5000/fn:1"},
		{in: "localhost:5000/a/b", want: "localhost:5000/a/b:latest"},
		{in: "x/UPPER", wantErr: true},
		{in: "a::b", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := normalizeRef(tc.in)
			if tc.wantErr {
				if !errors.Is(err, provider.ErrInvalid) {
					t.Fatalf("err = %v, want provider.ErrInvalid", err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestPlainHTTP(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"127.0.0.1:5000", true},
		{"127.3.2.1", true},
		{"localhost:5000", true},
		{"[::1]:5000", true},
		{"::1", true},
		{"registry.local:5000", true}, // listed
		{"registry.local:5001", false},
		{"docker.io", false},
		{"10.0.0.1:5000", false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			if got := plainHTTP([]string{"registry.local:5000"}, tc.host); got != tc.want {
				t.Fatalf("plainHTTP(%q) = %v", tc.host, got)
			}
		})
	}
}

func TestRegistryHost(t *testing.T) {
	if got := registryHost("127.0.0.1:5000/fn:1"); got != "127.0.0.1:5000" {
		t.Errorf("got %q", got)
	}
	if got := registryHost("fn"); got != "docker.io" {
		t.Errorf("got %q", got)
	}
}
