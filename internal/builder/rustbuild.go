package builder

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// rustWasmTarget is Debian rustc 1.63's name for WASI preview 1 (later
// toolchains call it wasm32-wasip1).
const rustWasmTarget = "wasm32-wasi"

// nativeTriple maps a GOARCH ("" = the host's) to the Rust/clang target of a
// static Linux binary. Only the host's architecture is supported: Debian
// ships the Rust std of the host only.
func nativeTriple(goarch string) (string, error) {
	if goarch == "" {
		goarch = runtime.GOARCH
	}
	if goarch != runtime.GOARCH {
		return "", fmt.Errorf("%w: cross-compiling Rust and C for %s on %s is not supported", ErrBuild, goarch, runtime.GOARCH)
	}
	switch goarch {
	case "amd64":
		return "x86_64-unknown-linux-gnu", nil
	case "arm64":
		return "aarch64-unknown-linux-gnu", nil
	}
	return "", fmt.Errorf("%w: no Rust target for GOARCH %s", ErrBuild, goarch)
}

// rustBuild builds the Cargo package in dir (a directory under root) with
// /usr/bin/cargo build --release, for wasm32-wasi (panic=abort) or as a
// static native binary (+crt-static), and returns the package's one
// executable.
//
// Reproducibility: the target directory lives outside the source tree, under
// the cache directory, keyed by the toolchain (rustc -vV), and is remapped to
// /target; the source root is remapped to /src by a rustc wrapper (see
// rustcWrapper), so two checkouts at different paths give the same bytes and
// share the compiled dependencies.
func (b *Builder) rustBuild(ctx context.Context, root, dir string, wasm bool) ([]byte, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	absDir := filepath.Join(absRoot, dir)
	if _, err := os.Stat(filepath.Join(absDir, "Cargo.toml")); err != nil {
		return nil, fmt.Errorf("build %s: %w: no Cargo.toml: %v", dir, ErrBuild, err)
	}
	target := rustWasmTarget
	flags := []string{"-C", "panic=abort"}
	if !wasm {
		if target, err = nativeTriple(b.goarch); err != nil {
			return nil, fmt.Errorf("build %s: %w", dir, err)
		}
		flags = []string{"-C", "target-feature=+crt-static"}
	}
	key, err := b.rustToolchain(ctx)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	targetDir := filepath.Join(b.cacheDir, "cargo-target", key)
	wrapper, err := b.rustcWrapper()
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	flags = append(flags, "--remap-path-prefix="+targetDir+"=/target")
	cmd := exec.CommandContext(ctx, b.cargo, "build", "--release", "--target", target, "--message-format=json-render-diagnostics")
	cmd.Dir = absDir
	cmd.Env = append(os.Environ(),
		"CARGO_TARGET_DIR="+targetDir,
		"CARGO_ENCODED_RUSTFLAGS="+strings.Join(flags, "\x1f"),
		"RUSTC="+b.rustc,
		"RUSTC_WRAPPER="+wrapper,
		remapEnv+"="+absRoot,
		"CARGO_TERM_COLOR=never",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build %s (cargo --target %s): %w: %v: %s", dir, target, ErrBuild, err, tail(stderr.String(), 2000))
	}
	exes, err := cargoExecutables(stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("build %s: %w: %v", dir, ErrBuild, err)
	}
	if len(exes) != 1 {
		return nil, fmt.Errorf("build %s: %w: cargo built %d executables %q, want exactly one (one binary per function package)", dir, ErrBuild, len(exes), exes)
	}
	data, err := os.ReadFile(exes[0])
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	return data, nil
}

// cargoExecutables returns the executables of the compiler-artifact messages
// in cargo's JSON output.
func cargoExecutables(out []byte) ([]string, error) {
	var exes []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var m struct {
			Reason     string `json:"reason"`
			Executable string `json:"executable"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue // not a JSON message (a build script's output)
		}
		if m.Reason == "compiler-artifact" && m.Executable != "" {
			exes = append(exes, m.Executable)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read cargo output: %w", err)
	}
	return exes, nil
}

// remapEnv names the source root for the rustc wrapper.
const remapEnv = "FAASWASM_REMAP_SRC"

// wrapperScript is the rustc wrapper: cargo runs it as RUSTC_WRAPPER with
// the rustc command line. The source root comes from the environment, which
// cargo does not fingerprint, so RUSTFLAGS stay the same for every checkout
// and dependencies outside the source tree (Debian's crates under
// /usr/share/cargo/registry) are compiled once for all of them; crates of
// the tree are distinct packages per checkout anyway.
const wrapperScript = `#!/bin/sh
# Written by faas-wasm build (internal/builder): maps the source root to /src
# in the paths rustc embeds (panic locations, debug info).
exec "$@" "--remap-path-prefix=${` + remapEnv + `}=/src"
`

// rustcWrapper writes the wrapper script into the cache directory (once,
// atomically) and returns its path.
func (b *Builder) rustcWrapper() (string, error) {
	path := filepath.Join(b.cacheDir, "rustc-remap-wrapper.sh")
	if data, err := os.ReadFile(path); err == nil && string(data) == wrapperScript {
		return path, nil
	}
	if err := os.MkdirAll(b.cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("rustc wrapper: %w", err)
	}
	tmp, err := os.CreateTemp(b.cacheDir, "rustc-wrapper-*")
	if err != nil {
		return "", fmt.Errorf("rustc wrapper: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(wrapperScript); err != nil {
		tmp.Close()
		return "", fmt.Errorf("rustc wrapper: %w", err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return "", fmt.Errorf("rustc wrapper: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("rustc wrapper: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("rustc wrapper: %w", err)
	}
	return path, nil
}

// rustToolchain returns a short key of `rustc -vV` (version, commit, host,
// LLVM), computed once per Builder.
func (b *Builder) rustToolchain(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.rustKey != "" {
		return b.rustKey, nil
	}
	out, err := exec.CommandContext(ctx, b.rustc, "-vV").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: %s -vV: %v: %s", ErrBuild, b.rustc, err, tail(string(out), 500))
	}
	version := "rustc"
	if f := strings.Fields(string(out)); len(f) >= 2 {
		version = f[0] + "-" + f[1]
	}
	sum := sha256.Sum256(out)
	b.rustKey = version + "-" + hex.EncodeToString(sum[:4])
	return b.rustKey, nil
}
