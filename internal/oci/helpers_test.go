package oci

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// guestSource is a tiny WASI command: it echoes stdin to stdout.
const guestSource = `package main

import (
	"io"
	"os"
)

func main() { io.Copy(os.Stdout, os.Stdin) }
`

var (
	guestOnce   sync.Once
	guestModule []byte
	guestErr    error
)

// testModule compiles guestSource with GOOS=wasip1 GOARCH=wasm once per
// test binary and returns the module.
func testModule(t testing.TB) []byte {
	t.Helper()
	guestOnce.Do(func() {
		dir, err := os.MkdirTemp("", "oci-guest-")
		if err != nil {
			guestErr = err
			return
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(guestSource), 0o644); err != nil {
			guestErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module guest\n\ngo 1.21\n"), 0o644); err != nil {
			guestErr = err
			return
		}
		out := filepath.Join(dir, "guest.wasm")
		cmd := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-trimpath", "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOFLAGS=", "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			guestErr = &buildError{err: err, out: string(b)}
			return
		}
		guestModule, guestErr = os.ReadFile(out)
	})
	if guestErr != nil {
		t.Fatalf("building the test guest: %v", guestErr)
	}
	if !bytes.HasPrefix(guestModule, []byte("\x00asm")) {
		t.Fatalf("test guest is not a Wasm module")
	}
	return guestModule
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// testCtx is a context that ends with the test.
func testCtx(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// mustPush pushes img to ref and returns its digest.
func mustPush(t testing.TB, img v1.Image, ref string) string {
	t.Helper()
	d, err := Push(testCtx(t), img, ref)
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return d
}

func digestOf(t testing.TB, img interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatalf("digest: %v", err)
	}
	return d.String()
}
