package builder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/builder/snapshot"
)

// Shape is the form of a Wasm module (docs/abi.md).
type Shape string

// Module shapes.
const (
	// ShapeCommand is a WASI command (exports _start): go build.
	ShapeCommand Shape = "command"
	// ShapeReactor exports faas_handle and _initialize:
	// go build -buildmode=c-shared -tags faasreactor.
	ShapeReactor Shape = "reactor"
	// ShapeSnapshot is a reactor pre-initialised at build time by package
	// snapshot (faas_handle only).
	ShapeSnapshot Shape = "snapshot"
)

// ErrBuild is wrapped by the errors of a failed compile (go build, cargo,
// clang); the error text carries the tail of the compiler's output.
var ErrBuild = errors.New("build failed")

// reproducible are the flags every build uses so that the output depends on
// the source and the toolchain only.
var reproducible = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// Native builds the main package pkg (a path relative to dir, such as
// ./functions/go/aes) as a static Linux binary for goarch ("" means the
// host's) and returns its bytes.
//
// # Errors
//
// An error wrapping ErrBuild with the compiler's output.
func (b *Builder) Native(ctx context.Context, dir, pkg, goarch string) ([]byte, error) {
	env := []string{"CGO_ENABLED=0", "GOOS=linux"}
	if goarch != "" {
		env = append(env, "GOARCH="+goarch)
	}
	return b.goBuild(ctx, dir, pkg, env, nil)
}

// Wasm builds the main package pkg as a GOOS=wasip1 module of the given
// shape and returns the module and the shape it has: a snapshot is the
// reactor pre-initialised by snapshot.Snapshot; with WithoutSnapshots it is
// built in the command shape.
//
// # Errors
//
// An error wrapping ErrBuild, snapshot.Snapshot's, or an unknown shape.
func (b *Builder) Wasm(ctx context.Context, dir, pkg string, shape Shape) ([]byte, Shape, error) {
	env := []string{"CGO_ENABLED=0", "GOOS=wasip1", "GOARCH=wasm"}
	reactor := []string{"-buildmode=c-shared", "-tags=faasreactor"}
	switch shape {
	case ShapeCommand, "":
		m, err := b.goBuild(ctx, dir, pkg, env, nil)
		return m, ShapeCommand, err
	case ShapeReactor:
		m, err := b.goBuild(ctx, dir, pkg, env, reactor)
		return m, ShapeReactor, err
	case ShapeSnapshot:
		if b.noSnap {
			b.log.Warn("snapshots off: building the command shape", "package", pkg)
			m, err := b.goBuild(ctx, dir, pkg, env, nil)
			return m, ShapeCommand, err
		}
		m, err := b.goBuild(ctx, dir, pkg, env, reactor)
		if err != nil {
			return nil, "", err
		}
		snap, err := snapshot.Snapshot(ctx, m)
		if err != nil {
			return nil, "", fmt.Errorf("snapshot %s: %w", pkg, err)
		}
		return snap, ShapeSnapshot, nil
	}
	return nil, "", fmt.Errorf("%w: unknown module shape %q", ErrStack, shape)
}

// goBuild runs go build in the package's own directory (dir joined with
// pkg), so a function builds inside whatever Go module holds it, with extra
// environment and flags, writing into a temporary directory, and returns the
// output file's bytes.
func (b *Builder) goBuild(ctx context.Context, dir, pkg string, env, flags []string) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "faas-wasm-build-")
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", pkg, err)
	}
	defer os.RemoveAll(tmp)
	out := filepath.Join(tmp, "out")
	args := append([]string{"build"}, reproducible...)
	args = append(args, flags...)
	args = append(args, "-o", out, ".")
	cmd := exec.CommandContext(ctx, b.goBin, args...)
	cmd.Dir = filepath.Join(dir, pkg)
	cmd.Env = append(os.Environ(), env...)
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build %s (%s): %w: %v: %s", pkg, strings.Join(env, " "), ErrBuild, err, tail(output.String(), 2000))
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", pkg, err)
	}
	return data, nil
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
