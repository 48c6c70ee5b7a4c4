package oci

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/faas-wasm/faas-wasm/provider"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ContainerBinaryPath is where ContainerImage puts the function's binary.
const ContainerBinaryPath = "/function"

// ContainerConfig describes a FROM-scratch container image around one
// static binary. The zero value is usable.
type ContainerConfig struct {
	// Entrypoint defaults to ["/function"].
	Entrypoint []string
	// Cmd is passed to the entrypoint as arguments.
	Cmd []string
	// Env holds "KEY=value" entries.
	Env []string
	// Labels are the image config's labels.
	Labels map[string]string
	// ExposedPorts defaults to ["8080/tcp"].
	ExposedPorts []string
	// User is the config's user ("uid[:gid]"); empty means root.
	User string
	// WorkingDir defaults to "/".
	WorkingDir string
	// Platform is "os/arch[/variant]", default linux and the host's architecture.
	Platform string
	// Files are extra regular files (mode 0644) by absolute path.
	Files map[string][]byte
}

// ContainerImage builds a FROM-scratch image holding binary at /function
// (mode 0755), an empty /tmp (mode 1777) and cfg.Files. The result is
// reproducible: the same input gives the same digest.
//
// # Errors
// provider.ErrInvalid for an empty binary, a malformed platform, or a file
// path that is relative, ends in "/" or collides with /function or /tmp.
func ContainerImage(binary []byte, cfg ContainerConfig) (v1.Image, error) {
	if len(binary) == 0 {
		return nil, fmt.Errorf("build container image: empty binary: %w", provider.ErrInvalid)
	}
	platform := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if cfg.Platform != "" {
		p, err := v1.ParsePlatform(cfg.Platform)
		if err != nil || p.OS == "" || p.Architecture == "" {
			return nil, fmt.Errorf("build container image: platform %q is not os/arch[/variant]: %w", cfg.Platform, provider.ErrInvalid)
		}
		platform = *p
	}
	entries := []tarEntry{
		{name: strings.TrimPrefix(ContainerBinaryPath, "/"), mode: 0o755, data: binary},
		{name: "tmp/", mode: 0o1777},
	}
	paths := make([]string, 0, len(cfg.Files))
	for p := range cfg.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		clean := strings.TrimPrefix(p, "/")
		if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || clean == "" || clean == "function" || clean == "tmp" || strings.HasPrefix(clean, "function/") {
			return nil, fmt.Errorf("build container image: file path %q must be absolute and not /function or /tmp: %w", p, provider.ErrInvalid)
		}
		entries = append(entries, tarEntry{name: clean, mode: 0o644, data: cfg.Files[p]})
	}
	c := v1.Config{
		Entrypoint: cfg.Entrypoint,
		Cmd:        cfg.Cmd,
		Env:        cfg.Env,
		Labels:     cfg.Labels,
		User:       cfg.User,
		WorkingDir: cfg.WorkingDir,
	}
	if len(c.Entrypoint) == 0 {
		c.Entrypoint = []string{ContainerBinaryPath}
	}
	if c.WorkingDir == "" {
		c.WorkingDir = "/"
	}
	ports := cfg.ExposedPorts
	if len(ports) == 0 {
		ports = []string{"8080/tcp"}
	}
	c.ExposedPorts = map[string]struct{}{}
	for _, p := range ports {
		c.ExposedPorts[p] = struct{}{}
	}
	img, err := layeredImage(entries, platform, c)
	if err != nil {
		return nil, fmt.Errorf("build container image: %w", err)
	}
	return img, nil
}
