package shim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/log"

	"github.com/faas-wasm/faas-wasm/internal/diskcache"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// moduleKey is the node cache's name of the module at modulePath: the
// hex SHA-256 of its bytes (runtime/wasm's layout: cacheDir/<key>.cwasm).
func moduleKey(modulePath string) (string, error) {
	f, err := os.Open(modulePath)
	if err != nil {
		return "", fmt.Errorf("module: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("module: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (s *Service) compiled(key string) bool {
	_, err := os.Stat(filepath.Join(s.cacheDir, key+".cwasm"))
	return err == nil
}

// precompile puts the module of cfg into the node cache with
// faaswasm-runner -precompile when it is not there yet: when the node
// trusts build keys (see TrustedBuildKeys) it hands the runner a
// precompiled layer of the module from the node's images, if one has it,
// which the runner installs when a trusted key signed it for this module
// and engine (the provider's rule); otherwise the runner compiles the
// module. The runner's log lines (how the module came, or why no layer was
// used) go to the container's log (containerLog, its stderr) and to the
// shim's. It runs in the shim's own cgroup, not the container's:
// compiling needs much more memory than serving, like pulling an image is
// not charged to the pod.
//
// One compile per module on the node: the shims of all pods starting with
// the same uncached module take its diskcache.LockEntry in turn (a lock
// file that exists only while held), and each checks the cache again once
// it holds it, so only the first compiles and the others load its result.
// Without it, 100 pods of one new function deployed at once ran 82
// compiles of the same module side by side on the 2-core test node (load
// average 142); the kubelet's 2-minute start deadline passed for 18 of them
// and none was Ready after 2.5 minutes.
func (s *Service) precompile(ctx context.Context, id, bundle string, containerLog io.Writer, cfg runspec.Config) error {
	key, err := moduleKey(cfg.ModulePath)
	if err != nil || s.compiled(key) {
		return err
	}
	unlock, err := diskcache.LockEntry(ctx, s.cacheDir, key+".cwasm")
	if err != nil {
		return fmt.Errorf("compile module: %w", err)
	}
	defer unlock()
	if s.compiled(key) {
		return nil
	}
	cfg.TrustedBuildKeys = s.trustedKeys
	cfg.PrecompiledLayer, cfg.NoPrecompiledLayer = s.precompiledLayer(ctx, id, "sha256:"+key)
	if cfg.PrecompiledLayer != nil {
		defer os.Remove(cfg.PrecompiledLayer.Path)
	}
	cfgPath := filepath.Join(bundle, precompileConfigFile)
	if err := runspec.WriteConfig(cfgPath, cfg); err != nil {
		return fmt.Errorf("compile module: %w", err)
	}
	defer os.Remove(cfgPath)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, s.runnerPath, "-config", cfgPath, "-precompile")
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Stdout = io.MultiWriter(&out, containerLog)
	cmd.Stderr = cmd.Stdout
	err = cmd.Run()
	msg := strings.TrimSpace(out.String())
	if err != nil {
		return fmt.Errorf("compile module: %w: %s", err, msg)
	}
	log.G(ctx).WithField("runner", msg).Info("faaswasm: module prepared")
	return nil
}

// precompiledLayer returns a precompiled layer of module (its digest) for
// container id when the node trusts build keys and an image on the node
// has one (see the package function precompiledLayer), else why not, for
// the runner's -precompile to log in the container's log.
func (s *Service) precompiledLayer(ctx context.Context, id, module string) (*runspec.PrecompiledLayer, string) {
	if len(s.trustedKeys) == 0 {
		return nil, fmt.Sprintf("the node trusts no build keys (%s is unset and %s does not exist)", EnvTrustedBuildKeys, runspec.DefaultTrustedBuildKeys)
	}
	l, image, err := precompiledLayer(ctx, s.address, s.namespace, id, module, s.cacheDir)
	if err != nil {
		if !errors.Is(err, errdefs.ErrNotFound) {
			log.G(ctx).WithError(err).Warn("faaswasm: precompiled layer not read, compiling the module")
		}
		return nil, err.Error()
	}
	log.G(ctx).WithField("image", image).WithField("module", module).Info("faaswasm: precompiled layer found")
	return l, ""
}
