package shim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// cachedModule reports whether the node cache already holds the compiled
// form of the module at modulePath (runtime/wasm's layout:
// cacheDir/<sha256 of the module>.cwasm).
func cachedModule(modulePath, cacheDir string) (bool, error) {
	f, err := os.Open(modulePath)
	if err != nil {
		return false, fmt.Errorf("module: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, fmt.Errorf("module: %w", err)
	}
	_, err = os.Stat(filepath.Join(cacheDir, hex.EncodeToString(h.Sum(nil))+".cwasm"))
	return err == nil, nil
}

// precompile compiles the module into the node cache with
// faaswasm-runner -precompile when it is not there yet. It runs in the
// shim's own cgroup, not the container's: compiling needs much more memory
// than serving, like pulling an image is not charged to the pod.
func (s *Service) precompile(ctx context.Context, modulePath, cfgPath string) error {
	ok, err := cachedModule(modulePath, s.cacheDir)
	if err != nil || ok {
		return err
	}
	cmd := exec.CommandContext(ctx, s.runnerPath, "-config", cfgPath, "-precompile")
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("compile module: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
