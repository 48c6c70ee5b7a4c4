package shim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
	"github.com/faas-wasm/faas-wasm/provider"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Annotations read from the OCI spec, besides the com.openfaas.wasm.* ones
// (package wasmopts).
const (
	// AnnotationContainerType is set by containerd's CRI plugin to
	// "sandbox" for the pod sandbox and "container" for the pod's containers.
	AnnotationContainerType = "io.kubernetes.cri.container-type"
	// AnnotationSandboxID names the pod sandbox a CRI container belongs to.
	AnnotationSandboxID = "io.kubernetes.cri.sandbox-id"
	// AnnotationContainerName is the CRI container's name.
	AnnotationContainerName = "io.kubernetes.cri.container-name"
	// AnnotationPodNamespace is the pod's Kubernetes namespace.
	AnnotationPodNamespace = "io.kubernetes.cri.sandbox-namespace"

	containerTypeSandbox = "sandbox"
)

// loadSpec reads the OCI runtime spec of a bundle.
func loadSpec(bundle string) (*specs.Spec, error) {
	data, err := os.ReadFile(filepath.Join(bundle, "config.json"))
	if err != nil {
		return nil, fmt.Errorf("read spec: %w", err)
	}
	var s specs.Spec
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("decode spec of %s: %w", bundle, err)
	}
	return &s, nil
}

// isSandbox reports whether the spec is a CRI pod sandbox (the pause
// container), which this shim runs without a Wasm module.
func isSandbox(s *specs.Spec) bool {
	return s.Annotations[AnnotationContainerType] == containerTypeSandbox
}

// memoryLimit returns the cgroup memory limit of the spec (0 = none).
func memoryLimit(s *specs.Spec) int64 {
	if s.Linux == nil || s.Linux.Resources == nil || s.Linux.Resources.Memory == nil ||
		s.Linux.Resources.Memory.Limit == nil || *s.Linux.Resources.Memory.Limit < 0 {
		return 0
	}
	return *s.Linux.Resources.Memory.Limit
}

// cgroupsPath returns the spec's cgroup path ("" = none).
func cgroupsPath(s *specs.Spec) string {
	if s.Linux == nil {
		return ""
	}
	return s.Linux.CgroupsPath
}

// secretsDir returns the host directory mounted at provider.SecretsPath,
// which the runner preopens there for the module; "" when the pod has no
// such mount (a function without secrets), and the module no filesystem.
func secretsDir(s *specs.Spec) string {
	for _, m := range s.Mounts {
		if filepath.Clean(m.Destination) == provider.SecretsPath && m.Source != "" {
			return m.Source
		}
	}
	return ""
}

// processEnv turns the spec's "KEY=value" list into a map (later wins).
func processEnv(s *specs.Spec) map[string]string {
	env := map[string]string{}
	if s.Process == nil {
		return env
	}
	for _, kv := range s.Process.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	return env
}

// runnerConfig derives the runner's configuration from the spec. The
// com.openfaas.wasm.* annotations are read by wasmopts.Parse, as the
// provider reads them when it validates a deployment.
//
// # Errors
// When an annotation is invalid: the provider refuses such a deployment,
// so only a pod made some other way has one, and it must not start with a
// setting silently changed.
func runnerConfig(id string, s *specs.Spec, modulePath, cacheDir string) (runspec.Config, error) {
	opts, err := wasmopts.Parse(s.Annotations)
	if err != nil {
		return runspec.Config{}, fmt.Errorf("container %s: %w", id, err)
	}
	env := processEnv(s)
	name := s.Annotations[AnnotationContainerName]
	if name == "" {
		name = id
	}
	return runspec.Config{
		Name:           name,
		Namespace:      s.Annotations[AnnotationPodNamespace],
		ModulePath:     modulePath,
		CacheDir:       cacheDir,
		Env:            env,
		SecretsDir:     secretsDir(s),
		MemoryLimit:    runspec.LinearMemoryLimit(memoryLimit(s)),
		Timeout:        provider.ExecTimeout(env),
		Warm:           opts.Warm,
		MaxConcurrency: opts.MaxConcurrency,
		AllowedHosts:   opts.AllowedHosts,
	}, nil
}
