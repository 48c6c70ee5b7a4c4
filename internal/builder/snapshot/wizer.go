package snapshot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// WizerVersion is the Wizer release this package installs and runs.
const WizerVersion = "10.0.0"

// SecretsPath is preopened (empty) during initialisation, as runtime/wasm
// preopens it for every instance: guest runtimes such as Go and wasi-libc
// record the preopened directories while they initialise, so a snapshot only
// sees the directories that existed when it was taken.
const SecretsPath = "/var/openfaas/secrets"

const wizerPackage = "@bytecodealliance/wizer@" + WizerVersion

// Error classes, checked with errors.Is.
var (
	// ErrWizerUnavailable: Wizer is not installed and cannot be installed
	// (no npm, no network, wrong platform).
	ErrWizerUnavailable = errors.New("wizer unavailable")
	// ErrNotReactor: the module is not a reactor (it exports _start or has no
	// init function), so it cannot be pre-initialised.
	ErrNotReactor = errors.New("module is not a reactor")
	// ErrInitFailed: the module's init function failed under Wizer.
	ErrInitFailed = errors.New("pre-initialisation failed")
)

// Option configures Install and Wizen.
type Option func(*options)

type options struct {
	cacheDir string
	wizer    string
	initFunc string
}

// WithCacheDir sets where Wizer is installed.
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithWizer uses the Wizer binary at path instead of installing one.
func WithWizer(path string) Option { return func(o *options) { o.wizer = path } }

// WithInitFunc names the export Wizer runs to initialise the module
// (default: faas_init when exported, else _initialize).
func WithInitFunc(name string) Option { return func(o *options) { o.initFunc = name } }

func newOptions(opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.cacheDir == "" && o.wizer == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return o, fmt.Errorf("%w: no cache directory: %w", ErrWizerUnavailable, err)
		}
		o.cacheDir = filepath.Join(base, "faas-wasm", "wizer-"+WizerVersion)
	}
	return o, nil
}

var installMu sync.Mutex

// Install makes sure Wizer is installed in the cache directory and returns
// the path of its binary. It is idempotent and safe across processes (a file
// lock serialises installs).
//
// # Errors
// ErrWizerUnavailable when npm is missing or the install fails.
func Install(ctx context.Context, opts ...Option) (string, error) {
	o, err := newOptions(opts)
	if err != nil {
		return "", err
	}
	if o.wizer != "" {
		return o.wizer, nil
	}
	return install(ctx, o.cacheDir)
}

func install(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "node_modules", "@bytecodealliance", "wizer-linux-x64", "wizer")
	installMu.Lock()
	defer installMu.Unlock()
	if wizerOK(ctx, bin) {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("%w: %w", ErrWizerUnavailable, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrWizerUnavailable, err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return "", fmt.Errorf("%w: lock: %w", ErrWizerUnavailable, err)
	}
	defer unix.Flock(int(lock.Fd()), unix.LOCK_UN)
	if wizerOK(ctx, bin) {
		return bin, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("%w: npm not found: %w", ErrWizerUnavailable, err)
	}
	cmd := exec.CommandContext(ctx, npm, "install", "--exact", "--no-audit", "--no-fund", "--prefix", dir, wizerPackage)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%w: npm install %s: %w: %s", ErrWizerUnavailable, wizerPackage, err, tail(out))
	}
	if !wizerOK(ctx, bin) {
		return "", fmt.Errorf("%w: %s installed but %s does not run as wizer %s", ErrWizerUnavailable, wizerPackage, bin, WizerVersion)
	}
	return bin, nil
}

// wizerOK reports whether bin runs and is the pinned version.
func wizerOK(ctx context.Context, bin string) bool {
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	return err == nil && strings.TrimSpace(string(out)) == "wizer "+WizerVersion
}

// Wizen pre-initialises a reactor module and returns the snapshot.
//
// # Errors
// ErrNotReactor when the module exports _start or lacks the init function;
// ErrWizerUnavailable when Wizer cannot be installed or started;
// ErrInitFailed when Wizer fails, e.g. the init function traps (Wizer's
// stderr is in the message); ctx's error when it ends.
func Wizen(ctx context.Context, reactor []byte, opts ...Option) ([]byte, error) {
	o, err := newOptions(opts)
	if err != nil {
		return nil, err
	}
	exports, err := funcExports(reactor)
	if err != nil {
		return nil, fmt.Errorf("wizen: %w: %w", ErrNotReactor, err)
	}
	if exports["_start"] {
		return nil, fmt.Errorf("wizen: %w: it exports _start (a WASI command ends in proc_exit and cannot be pre-initialised)", ErrNotReactor)
	}
	init := o.initFunc
	if init == "" {
		init = "_initialize"
		if exports["faas_init"] {
			init = "faas_init"
		}
	}
	if !exports[init] {
		return nil, fmt.Errorf("wizen: %w: it does not export the init function %q", ErrNotReactor, init)
	}
	bin := o.wizer
	if bin == "" {
		if bin, err = install(ctx, o.cacheDir); err != nil {
			return nil, fmt.Errorf("wizen: %w", err)
		}
	}
	dir, err := os.MkdirTemp("", "wizen-")
	if err != nil {
		return nil, fmt.Errorf("wizen: %w", err)
	}
	defer os.RemoveAll(dir)
	in, out, empty := filepath.Join(dir, "in.wasm"), filepath.Join(dir, "out.wasm"), filepath.Join(dir, "empty")
	if err := os.WriteFile(in, reactor, 0o644); err != nil {
		return nil, fmt.Errorf("wizen: %w", err)
	}
	if err := os.Mkdir(empty, 0o755); err != nil {
		return nil, fmt.Errorf("wizen: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin,
		"--allow-wasi", "--inherit-stdio", "false", "--inherit-env", "false",
		"--mapdir", SecretsPath+"::"+empty,
		"--wasm-bulk-memory", "true", "--init-func", init, "-o", out, in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return nil, fmt.Errorf("wizen: %w", ctx.Err())
		case errors.As(err, &exit):
			return nil, fmt.Errorf("wizen: %w: wizer: %w: %s", ErrInitFailed, err, tail(stderr.Bytes()))
		default:
			return nil, fmt.Errorf("wizen: %w: running %s: %w", ErrWizerUnavailable, bin, err)
		}
	}
	snap, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("wizen: %w", err)
	}
	return snap, nil
}

func tail(b []byte) string {
	const max = 2000
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = "…" + s[len(s)-max:]
	}
	return s
}
