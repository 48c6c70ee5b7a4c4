package shim

import (
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
	"syscall"
	"time"
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

// precompile compiles the module into the node cache with
// faaswasm-runner -precompile when it is not there yet. It runs in the
// shim's own cgroup, not the container's: compiling needs much more memory
// than serving, like pulling an image is not charged to the pod.
//
// One compile per module on the node: the shims of all pods starting with
// the same uncached module take cacheDir/<key>.lock in turn, and each
// checks the cache again once it holds it, so only the first compiles and
// the others load its result. Without it, 100 pods of one new function
// deployed at once ran 82 compiles of the same module side by side on the
// 2-core test node (load average 142); the kubelet's 2-minute start
// deadline passed for 18 of them and none was Ready after 2.5 minutes.
func (s *Service) precompile(ctx context.Context, modulePath, cfgPath string) error {
	key, err := moduleKey(modulePath)
	if err != nil || s.compiled(key) {
		return err
	}
	if err := os.MkdirAll(s.cacheDir, 0o755); err != nil {
		return fmt.Errorf("compile module: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(s.cacheDir, key+".lock"))
	if err != nil {
		return fmt.Errorf("compile module: %w", err)
	}
	defer unlock()
	if s.compiled(key) {
		return nil
	}
	cmd := exec.CommandContext(ctx, s.runnerPath, "-config", cfgPath, "-precompile")
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("compile module: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// lockFile takes an exclusive flock on path (created if missing), waiting
// until it is free or ctx ends; unlock releases it.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
