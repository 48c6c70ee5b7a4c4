package oci

import (
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ParseReference parses an image reference ("host:port/repo:tag",
// "repo@sha256:...", "busybox") the way Inspect, PullWasm and Push do.
// A reference without a registry names Docker Hub; without tag, "latest".
// Loopback registries and those listed with WithInsecureRegistries are
// marked for plain HTTP.
//
// # Errors
// ErrInvalidReference (and provider.ErrInvalid) when ref is malformed.
func ParseReference(ref string, opts ...Option) (name.Reference, error) {
	return parseReference(ref, newOptions(opts))
}

func parseReference(ref string, o *options) (name.Reference, error) {
	if ref == "" {
		return nil, invalidRef(ref, fmt.Errorf("empty reference"))
	}
	if strings.TrimSpace(ref) != ref {
		return nil, invalidRef(ref, fmt.Errorf("leading or trailing white space"))
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, invalidRef(ref, err)
	}
	if reg := r.Context().RegistryStr(); plainHTTP(reg, o.insecure) {
		r, err = name.ParseReference(ref, name.Insecure)
		if err != nil {
			return nil, invalidRef(ref, err)
		}
	}
	return r, nil
}

// plainHTTP tells whether registry (host or host:port) is reached over HTTP.
func plainHTTP(registry string, insecure map[string]bool) bool {
	registry = strings.ToLower(registry)
	host := registry
	if h, _, err := net.SplitHostPort(registry); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if insecure[registry] || insecure[host] {
		return true
	}
	return IsLoopback(host)
}

// IsLoopback tells whether host (without port) is "localhost" or a loopback
// IP address (127.0.0.0/8, ::1).
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
