// Package runspec is the contract between the node shim (package shim) and
// its runner process (package shim/runner, command faaswasm-runner): the
// Config the shim writes as JSON into a container's bundle and the runner
// reads back; and the node files that the node installer writes and the
// shim reads (DefaultTrustedBuildKeys, DefaultShimGroup).
//
// It is a separate package so that the shim's ttrpc daemon can build a
// Config without linking the Wasm engine. It does not start or run anything.
package runspec

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// DefaultTrustedBuildKeys is the node's file of trusted build keys (PEM
// ed25519 public keys, the format of the provider's --trusted-build-key):
// the node installer writes it from the chart's provider.trustedBuildKeys
// (and removes it without them); the shim reads it unless
// $FAASWASM_TRUSTED_BUILD_KEYS names other files. Without it the node
// compiles every new module.
const DefaultTrustedBuildKeys = "/etc/faas-wasm/trusted-build-keys.pem"

// DefaultShimGroup is the node's file naming which containers share a shim
// daemon ("pod" or "node", see package shim's ShimGroup): the node
// installer writes it from the chart's nodeInstaller.shimGroup; the shim
// reads it unless $FAASWASM_SHIM_GROUP is set. Without it: "pod".
const DefaultShimGroup = "/etc/faas-wasm/shim-group"

// RunnerReserve is the part of a Wasm container's memory limit kept for
// the runner itself (Go runtime, wasmtime, mapped code) rather than given
// to the module's linear memory.
const RunnerReserve = 32 << 20

// LinearMemoryLimit is the linear memory a Wasm function's instance may
// use under a container memory limit of cgroupLimit bytes (0 = none): the
// limit minus RunnerReserve, or half of it for small limits, so a greedy
// module is refused memory (a 500) before the kernel's OOM killer stops
// the whole container; the cgroup stays the hard bound for all instances
// together. The shim gives a pod's runner this limit, and the Kubernetes
// provider the calls it serves itself while the pod starts, so a call
// fails or succeeds alike on either path.
func LinearMemoryLimit(cgroupLimit int64) int64 {
	switch {
	case cgroupLimit <= 0:
		return 0
	case cgroupLimit > 2*RunnerReserve:
		return cgroupLimit - RunnerReserve
	default:
		return cgroupLimit / 2
	}
}

// DefaultAddr is where a runner listens when Config.Addr is empty.
const DefaultAddr = ":8080"

// DefaultMaxRequestBytes caps a request body when Config.MaxRequestBytes is 0.
const DefaultMaxRequestBytes int64 = 64 << 20

// DefaultIdleRelease is how long a function goes without calls, when
// Config.IdleRelease is 0, before its runner gives back the memory it keeps
// for the next call: for a Go guest ~5 MiB of the ~8 MiB a runner holds on
// its own. The next call pays for it in page faults: measured on the
// 2-core test VM, where a page fault costs ~30 µs, prime-numbers (?n=1000)
// took ~45 ms of CPU instead of ~1.5 ms (BenchmarkCallAfterRelease in
// shim/runner); a function called at least every 30 s never pays it.
const DefaultIdleRelease = 30 * time.Second

// Config is everything a runner needs to serve one function.
type Config struct {
	// Name and Namespace identify the function in logs.
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
	// ModulePath is the host path of the Wasm module.
	ModulePath string `json:"modulePath"`
	// CacheDir holds compiled modules by SHA-256, shared by all runners of a
	// node so the second container of an image never compiles.
	CacheDir string `json:"cacheDir"`
	// CacheLimit bounds the compiled modules in CacheDir, in bytes (0: no
	// bound; see wasm.WithCacheLimit).
	CacheLimit int64 `json:"cacheLimit,omitempty"`
	// Addr is the listen address (default DefaultAddr).
	Addr string `json:"addr,omitempty"`
	// Env holds the function's environment variables.
	Env map[string]string `json:"env,omitempty"`
	// SecretsDir is the host directory preopened at /var/openfaas/secrets
	// ("": the function has no secrets, the module no filesystem).
	SecretsDir string `json:"secretsDir,omitempty"`
	// MemoryLimit caps each instance's linear memory in bytes (0 = engine default).
	MemoryLimit int64 `json:"memoryLimit,omitempty"`
	// Timeout is the wall time per request (0 = engine default).
	Timeout time.Duration `json:"timeout,omitempty"`
	// MaxRequestBytes caps a request body (0 = DefaultMaxRequestBytes).
	MaxRequestBytes int64 `json:"maxRequestBytes,omitempty"`
	// MaxConcurrency bounds instances running at once (0 = engine default).
	MaxConcurrency int `json:"maxConcurrency,omitempty"`
	// AllowedHosts is the outbound HTTP allow-list of the faas_http module.
	AllowedHosts []string `json:"allowedHosts,omitempty"`
	// Warm selects warm instances for reactor modules.
	Warm bool `json:"warm,omitempty"`
	// IdleRelease is how long the function goes without calls before the
	// runner gives back the memory it keeps for the next call (0 =
	// DefaultIdleRelease, negative = never).
	IdleRelease time.Duration `json:"idleRelease,omitempty"`
	// TrustedBuildKeys are files of PEM ed25519 public keys, the format of
	// the provider's --trusted-build-key: a precompiled layer one of them
	// signed for this module and this engine is installed by -precompile
	// instead of compiling the module.
	TrustedBuildKeys []string `json:"trustedBuildKeys,omitempty"`
	// PrecompiledLayer is the image's precompiled layer, for -precompile
	// only (nil: compile the module).
	PrecompiledLayer *PrecompiledLayer `json:"precompiledLayer,omitempty"`
	// NoPrecompiledLayer says why the shim passed no PrecompiledLayer, for
	// -precompile's log (empty: none was looked for).
	NoPrecompiledLayer string `json:"noPrecompiledLayer,omitempty"`
}

// PrecompiledLayer is an image's precompiled layer (package
// precompiled/layer) as the shim copied it out of containerd's content
// store. Nothing in it is trusted.
type PrecompiledLayer struct {
	// Path is the file holding the layer's blob (a zstd tar).
	Path string `json:"path"`
	// Annotations are the layer descriptor's: its claims.
	Annotations map[string]string `json:"annotations,omitempty"`
}

// WriteConfig stores cfg as JSON at path (mode 0600).
//
// # Errors
// Errors encoding or writing the file.
func WriteConfig(path string, cfg Config) error {
	data, err := json.Marshal(cfg)
	if err != nil {
		return fmt.Errorf("write runner config %s: %w", path, err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("write runner config: %w", err)
	}
	return nil
}

// ReadConfig loads a Config written by WriteConfig.
//
// # Errors
// Errors reading or decoding the file, or a config without ModulePath.
func ReadConfig(path string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read runner config: %w", err)
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("read runner config %s: %w", path, err)
	}
	if cfg.ModulePath == "" {
		return cfg, fmt.Errorf("read runner config %s: no module path", path)
	}
	return cfg, nil
}
