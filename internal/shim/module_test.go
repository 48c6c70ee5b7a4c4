package shim

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/containerd/containerd/errdefs"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

// TestFindModule: args[0] inside the root filesystem is used when it is a
// core module. A component is refused with ErrInvalidArgument, as a native
// binary is (regression: the shim checked the magic only, so a component
// reached the runner, which refused it only after the container started).
func TestFindModule(t *testing.T) {
	rootfs := t.TempDir()
	files := map[string][]byte{
		"module.wasm":    append(append([]byte(nil), wasmbin.Header...), 0, 2, 1, 'x'),
		"component.wasm": {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00},
		"native":         []byte("\x7fELF\x02\x01\x01\x00"),
		"short.wasm":     []byte("\x00asm"),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(rootfs, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	spec := func(arg string) *specs.Spec { return &specs.Spec{Process: &specs.Process{Args: []string{arg}}} }
	if p, err := findModule(spec("/module.wasm"), rootfs); err != nil || p != filepath.Join(rootfs, "module.wasm") {
		t.Errorf("core module: %q, %v; want its path", p, err)
	}
	for _, arg := range []string{"/component.wasm", "/native", "/short.wasm"} {
		if _, err := findModule(spec(arg), rootfs); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", arg, err)
		}
	}
	if _, err := findModule(spec("/missing.wasm"), rootfs); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("missing module: %v, want ErrNotFound", err)
	}
}
