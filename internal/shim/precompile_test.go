package shim

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// TestPrecompileOncePerModule starts 8 precompiles of the same uncached
// module at once, as the shims of 8 pods of a new function do: the runner
// (a script that counts its runs, takes 300 ms and writes the cache file)
// must run once, and every call must return only once the compiled file is
// there. A module already cached runs no compile. On the old code each
// call compiled (8 runs). The lock they take turns with leaves no file in
// the cache (before, a <key>.lock stayed there for every module ever
// compiled, never trimmed).
func TestPrecompileOncePerModule(t *testing.T) {
	dir := t.TempDir()
	module := filepath.Join(dir, "function.wasm")
	if err := os.WriteFile(module, []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	key, err := moduleKey(module)
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	runs := filepath.Join(dir, "runs")
	runner := filepath.Join(dir, "faaswasm-runner")
	script := fmt.Sprintf("#!/bin/sh\necho run >> %s\nsleep 0.3\nmkdir -p %s\necho compiled > %s\n",
		runs, cache, filepath.Join(cache, key+".cwasm"))
	if err := os.WriteFile(runner, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Service{runnerPath: runner, cacheDir: cache}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			if err := s.precompile(ctx, "c", t.TempDir(), io.Discard, runspec.Config{ModulePath: module}); err != nil {
				errs <- err
				return
			}
			if !s.compiled(key) {
				errs <- fmt.Errorf("precompile returned before %s.cwasm was written", key)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := s.precompile(ctx, "c", t.TempDir(), io.Discard, runspec.Config{ModulePath: module}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(runs)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), "run"); n != 1 {
		t.Errorf("the runner compiled %d times for 9 precompiles of one module, want 1", n)
	}
	des, err := os.ReadDir(cache)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range des {
		if de.Name() != key+".cwasm" {
			t.Errorf("%s left in the cache directory, want only %s.cwasm", de.Name(), key)
		}
	}
}
