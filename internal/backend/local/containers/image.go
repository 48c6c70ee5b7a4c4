package containers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/reference/docker"
	"github.com/containerd/containerd/remotes"
	dockerremote "github.com/containerd/containerd/remotes/docker"
	"github.com/containerd/platforms"

	"github.com/faas-wasm/faas-wasm/provider"
)

// normalizeRef turns "fn:1" into "docker.io/library/fn:1" and adds ":latest"
// when no tag or digest is given, so pulls and lookups agree on the name.
func normalizeRef(ref string) (string, error) {
	named, err := docker.ParseDockerRef(ref)
	if err != nil {
		return "", fmt.Errorf("image reference %q: %v: %w", ref, err, provider.ErrInvalid)
	}
	return named.String(), nil
}

// resolver returns a registry resolver that uses plain HTTP for loopback
// hosts and the hosts listed with WithInsecureRegistries.
func (m *Manager) resolver() remotes.Resolver {
	insecure := m.opts.insecure
	plain := func(host string) (bool, error) { return plainHTTP(insecure, host), nil }
	client := &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConnsPerHost:   4,
	}}
	return dockerremote.NewResolver(dockerremote.ResolverOptions{
		Hosts: dockerremote.ConfigureDefaultRegistries(
			dockerremote.WithPlainHTTP(plain),
			dockerremote.WithClient(client),
		),
	})
}

// plainHTTP tells whether registry host ("name[:port]") is reached over
// plain HTTP: loopback hosts and the hosts listed in insecure.
func plainHTTP(insecure []string, host string) bool {
	if slices.Contains(insecure, host) {
		return true
	}
	h := host
	if sh, _, err := net.SplitHostPort(host); err == nil {
		h = sh
	}
	h = strings.Trim(h, "[]")
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// pull fetches ref (normalized), checks that it runs on this host's
// platform and unpacks it into the snapshotter. Errors wrap
// provider.ErrImage together with ErrImageNotFound, ErrPlatform or
// ErrRegistry.
func (m *Manager) pull(ctx context.Context, ref string) (containerd.Image, error) {
	res := m.resolver()
	if _, _, err := res.Resolve(ctx, ref); err != nil {
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("image %s not found in registry %s: %w", ref, registryHost(ref), errors.Join(ErrImageNotFound, provider.ErrImage))
		}
		return nil, fmt.Errorf("image %s: registry %s: %v: %w", ref, registryHost(ref), err, errors.Join(ErrRegistry, provider.ErrImage))
	}
	img, err := m.client.Pull(ctx, ref, containerd.WithResolver(res), containerd.WithPlatformMatcher(platforms.Default()))
	if err != nil {
		if daemonGone(err) {
			return nil, unavailable("pull image "+ref, err)
		}
		if errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("image %s has no manifest for %s: %v: %w", ref, platforms.DefaultString(), err, errors.Join(ErrPlatform, provider.ErrImage))
		}
		return nil, fmt.Errorf("pull image %s: %v: %w", ref, err, errors.Join(ErrRegistry, provider.ErrImage))
	}
	if err := checkPlatform(ctx, img); err != nil {
		return nil, fmt.Errorf("image %s: %w", ref, err)
	}
	if err := img.Unpack(ctx, m.opts.snapshotter); err != nil {
		if daemonGone(err) {
			return nil, unavailable("unpack image "+ref, err)
		}
		return nil, fmt.Errorf("unpack image %s: %v: %w", ref, err, provider.ErrImage)
	}
	return img, nil
}

// image returns ref from containerd's store when it is there and unpacked,
// else pulls it. Used when scaling, so scale-from-zero needs no registry.
func (m *Manager) image(ctx context.Context, ref string) (containerd.Image, error) {
	img, err := m.client.GetImage(ctx, ref)
	if err == nil {
		if ok, uerr := img.IsUnpacked(ctx, m.opts.snapshotter); uerr == nil && ok {
			return img, nil
		}
	}
	return m.pull(ctx, ref)
}

// checkPlatform compares the image config's os/architecture with the host.
func checkPlatform(ctx context.Context, img containerd.Image) error {
	cfg, err := img.Spec(ctx)
	if err != nil {
		if daemonGone(err) {
			return unavailable("read image config", err)
		}
		if errdefs.IsNotFound(err) {
			return fmt.Errorf("no manifest for %s: %v: %w", platforms.DefaultString(), err, errors.Join(ErrPlatform, provider.ErrImage))
		}
		return fmt.Errorf("read image config: %v: %w", err, provider.ErrImage)
	}
	want := platforms.DefaultSpec()
	got := platforms.Normalize(cfg.Platform)
	if got.OS == "" && got.Architecture == "" {
		return nil
	}
	if !platforms.Default().Match(got) {
		return fmt.Errorf("built for %s, this host runs %s: %w", platforms.Format(got), platforms.Format(want), errors.Join(ErrPlatform, provider.ErrImage))
	}
	return nil
}

// registryHost returns the registry part of a normalized reference.
func registryHost(ref string) string {
	if named, err := docker.ParseDockerRef(ref); err == nil {
		return docker.Domain(named)
	}
	return ref
}
