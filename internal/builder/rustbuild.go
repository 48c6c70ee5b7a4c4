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
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/faas-wasm/faas-wasm/internal/builder/rustflags"
)

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
// /usr/bin/cargo in release mode, as out says: the package's one binary
// for wasm32-wasi (rustflags.Wasm, and a shadow stack of stackSize bytes)
// or as a static native binary (rustflags.Native; stackSize is ignored), or
// for a reactor its library as a wasm32-wasi cdylib linked with
// wasi-libc's reactor start-up (rustflags.ReactorStart), and returns the
// executable or the module. The stack size and the reactor start-up are
// link arguments of the final artifact only (cargo rustc -- ...), so they
// do not invalidate compiled dependencies.
//
// Reproducibility: cargo hashes a local package's absolute path into its
// -C metadata (and so into symbol names and code layout), so the build runs
// on a copy of the local packages at a path fixed by their layout (see
// stageRust, which also keeps cargo's fingerprints fresh); that path
// is remapped to /src and the target directory, outside the source tree
// under the cache directory, to /target. Two checkouts at different paths
// give the same bytes and share the compiled dependencies.
//
// The target directory is keyed by the toolchain (rustc -vV), the target
// and the flags every crate is compiled with (cargoTargetKey): cargo 1.63
// does not put RUSTFLAGS into its artifact hashes, so builds with other
// flags sharing a directory would overwrite each other's dependencies and
// rebuild them all every time they alternate.
func (b *Builder) rustBuild(ctx context.Context, root, dir string, out output, stackSize int) ([]byte, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	absDir := filepath.Join(absRoot, dir)
	if _, err := os.Stat(filepath.Join(absDir, "Cargo.toml")); err != nil {
		return nil, fmt.Errorf("build %s: %w: no Cargo.toml: %v", dir, ErrBuild, err)
	}
	target := rustflags.WasmTarget
	flags := rustflags.Wasm()
	var linkArgs []string
	outputs := []string{"--bins"}
	switch out {
	case outputCommand:
		linkArgs = rustflags.StackSize(stackSize)
	case outputReactor:
		sysroot, err := b.rustSysroot(ctx)
		if err != nil {
			return nil, fmt.Errorf("build %s: %w", dir, err)
		}
		linkArgs = append(rustflags.StackSize(stackSize), rustflags.ReactorStart(sysroot)...)
		outputs = []string{"--lib", "--crate-type", "cdylib"}
	default:
		if target, err = nativeTriple(b.goarch); err != nil {
			return nil, fmt.Errorf("build %s: %w", dir, err)
		}
		flags = rustflags.Native()
	}
	key, err := b.rustToolchain(ctx)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	targetDir := filepath.Join(b.cacheDir, "cargo-target", cargoTargetKey(key, target, flags))
	buildDir, stage, unlock, err := b.stageRust(ctx, absDir, b.rustStages(key))
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	defer unlock()
	flags = append(flags, "--remap-path-prefix="+stage+"=/src", "--remap-path-prefix="+targetDir+"=/target")
	args := append(append([]string{"rustc", "--release"}, outputs...), "--target", target, "--message-format=json-render-diagnostics")
	if len(linkArgs) > 0 {
		args = append(append(args, "--"), linkArgs...)
	}
	cmd := exec.CommandContext(ctx, b.cargo, args...)
	cmd.Dir = buildDir
	cmd.Env = append(os.Environ(),
		"CARGO_TARGET_DIR="+targetDir,
		"CARGO_ENCODED_RUSTFLAGS="+strings.Join(flags, "\x1f"),
		"RUSTC="+b.rustc,
		"CARGO_TERM_COLOR=never",
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build %s (cargo --target %s): %w: %v: %s", dir, target, ErrBuild, err, tail(stderr.String(), 2000))
	}
	kind := "bin"
	if out == outputReactor {
		kind = "cdylib"
	}
	exes, err := cargoArtifacts(stdout.Bytes(), kind)
	if err != nil {
		return nil, fmt.Errorf("build %s: %w: %v", dir, ErrBuild, err)
	}
	if len(exes) != 1 {
		return nil, fmt.Errorf("build %s: %w: cargo built %d %s artifacts %q, want exactly one (one binary and one library per function package)", dir, ErrBuild, len(exes), kind, exes)
	}
	data, err := os.ReadFile(exes[0])
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", dir, err)
	}
	return data, nil
}

// RustStageRoot is where Rust builds stage their local packages (see
// stageRust), one directory per toolchain and layout. It is a fixed path, not
// one under the cache directory: cargo hashes the absolute path of a path
// package outside the workspace (the SDK) into its -C metadata, and so into
// symbol names and the function order of the module, so stages under two
// cache directories ($XDG_CACHE_HOME, another user's home, a fresh CI
// cache) built different bytes from the same sources.
const RustStageRoot = "/var/tmp/faas-wasm/rust-stage"

// rustStages returns the directory of the stages of toolchain key:
// under RustStageRoot, or under the cache directory when RustStageRoot
// cannot be written (the build then is reproducible only with the same
// cache directory, and says so).
func (b *Builder) rustStages(key string) string {
	dir := filepath.Join(RustStageRoot, key)
	if err := os.MkdirAll(dir, 0o755); err == nil && unix.Access(dir, unix.W_OK) == nil {
		return dir
	}
	fallback := filepath.Join(b.cacheDir, "rust-stage", key)
	b.log.Warn("Rust stage not writable; staging under the cache directory (other cache directories build other bytes)",
		"stage", dir, "instead", fallback)
	return fallback
}

// cargoArtifacts returns the files of kind ("bin": the executables;
// "cdylib": the .wasm libraries) in the compiler-artifact messages of
// cargo's JSON output.
func cargoArtifacts(out []byte, kind string) ([]string, error) {
	var files []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var m struct {
			Reason string `json:"reason"`
			Target struct {
				Kind []string `json:"kind"`
			} `json:"target"`
			Filenames  []string `json:"filenames"`
			Executable string   `json:"executable"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			continue // not a JSON message (a build script's output)
		}
		if m.Reason != "compiler-artifact" || !slices.Contains(m.Target.Kind, kind) {
			continue
		}
		switch {
		case kind == "bin" && m.Executable != "":
			files = append(files, m.Executable)
		case kind == "cdylib":
			for _, f := range m.Filenames {
				if strings.HasSuffix(f, ".wasm") {
					files = append(files, f)
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read cargo output: %w", err)
	}
	return files, nil
}

// rustSysroot returns b.rustc's sysroot (rustc --print sysroot), asked
// once per Builder.
func (b *Builder) rustSysroot(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.sysroot != "" {
		return b.sysroot, nil
	}
	out, err := exec.CommandContext(ctx, b.rustc, "--print", "sysroot").Output()
	if err != nil {
		return "", fmt.Errorf("%w: %s --print sysroot: %v", ErrBuild, b.rustc, err)
	}
	b.sysroot = strings.TrimSpace(string(out))
	return b.sysroot, nil
}

// cargoTargetKey names the Cargo target directory of builds with toolchain
// key toolchain, for target, with flags: the toolchain key and a hash of the
// target and the flags.
func cargoTargetKey(toolchain, target string, flags []string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", target)
	for _, f := range flags {
		fmt.Fprintf(h, "%s\x00", f)
	}
	return toolchain + "-" + hex.EncodeToString(h.Sum(nil))[:12]
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
