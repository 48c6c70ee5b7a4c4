package shim

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/containerd/errdefs"
	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

// findModule returns the host path of the container's Wasm module: the
// process's args[0] resolved inside rootfs (symlinks cannot leave it).
//
// Errors wrap errdefs.ErrInvalidArgument when the spec names no program or
// the program is not a Wasm core module (wasmbin.HasHeader: a component is
// refused here, as the runner would refuse it), errdefs.ErrNotFound when it
// is missing.
func findModule(s *specs.Spec, rootfs string) (string, error) {
	if s.Process == nil || len(s.Process.Args) == 0 || s.Process.Args[0] == "" {
		return "", fmt.Errorf("find module: the spec names no program (process.args is empty): %w", errdefs.ErrInvalidArgument)
	}
	if rootfs == "" {
		return "", fmt.Errorf("find module %s: the container has no root filesystem: %w", s.Process.Args[0], errdefs.ErrNotFound)
	}
	p, err := securejoin.SecureJoin(rootfs, s.Process.Args[0])
	if err != nil {
		return "", fmt.Errorf("find module %s: %w", s.Process.Args[0], err)
	}
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return "", fmt.Errorf("find module %s in the image: %w", s.Process.Args[0], errdefs.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("find module: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(wasmbin.Header))
	if _, err := io.ReadFull(f, head); err != nil || !wasmbin.HasHeader(head) {
		return "", fmt.Errorf("find module: %s is not a WebAssembly core module (this runtime runs Wasm containers only, not components): %w",
			s.Process.Args[0], errdefs.ErrInvalidArgument)
	}
	return p, nil
}

// specRootfs returns the spec's root path made absolute against bundle.
func specRootfs(s *specs.Spec, bundle string) string {
	if s.Root == nil || s.Root.Path == "" {
		return ""
	}
	if filepath.IsAbs(s.Root.Path) {
		return s.Root.Path
	}
	return filepath.Join(bundle, s.Root.Path)
}
