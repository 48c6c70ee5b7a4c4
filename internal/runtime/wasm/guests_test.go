package wasm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder/rustflags"
	"github.com/faas-wasm/faas-wasm/internal/builder/snapshot"
	"github.com/faas-wasm/faas-wasm/internal/builder/wasmmem"
	"github.com/faas-wasm/faas-wasm/internal/leaktest"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
)

// Test guests, built from testdata in TestMain (cached by source hash under
// the user cache dir). snapshotGuest is built on first use.
var (
	cmdGuest     []byte // Go command module
	reactorGuest []byte // Go reactor module (faas_handle + _initialize)
	cGuest       []byte // C command module (with the C SDK's fw_secret)

	snapOnce  sync.Once
	snapGuest []byte
	snapErr   error

	rustGuests sync.Map // rustExample → *rustGuestBuild
)

// rustExample is a build of an example of the Rust SDK: the example's
// command module, or (reactor) the reactor module of testdata/rust-reactor,
// a library holding example "secrets" (cargo builds an example binary only
// as a binary).
type rustExample struct {
	name      string
	stackSize int
	reactor   bool
}

// rustGuestBuild is one build of the Rust test guest, made once.
type rustGuestBuild struct {
	once   sync.Once
	module []byte
	err    error
}

// TestMain builds the test guests, runs the tests, closes the shared
// engine and checks that no goroutine they started still runs
// (internal/leaktest).
func TestMain(m *testing.M) {
	var err error
	if cmdGuest, err = buildGo("testdata/guest", false); err == nil {
		if reactorGuest, err = buildGo("testdata/guest", true); err == nil {
			cGuest, err = buildC("testdata/cguest/guest.c")
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "building test guests:", err)
		os.Exit(2)
	}
	leaktest.Main(m, closeTestEngine)
}

// snapshotGuestT returns the reactor guest pre-initialised (package
// snapshot), made once per test binary.
func snapshotGuestT(t testing.TB) []byte {
	t.Helper()
	snapOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		snapGuest, snapErr = snapshot.Snapshot(ctx, reactorGuest)
	})
	if snapErr != nil {
		t.Fatalf("snapshot guest: %v", snapErr)
	}
	return snapGuest
}

// rustSDK is the Rust SDK's crate; its echo example is the Rust test guest.
const rustSDK = "../../../sdk/rust"

// rustGuestT returns the Rust SDK's echo example (sdk/rust/examples/echo.rs)
// built as a WASI command module by Debian's /usr/bin/cargo, offline, with
// the flags, default stack size and heap reserve of the faas-wasm builder's
// Rust Wasm builds (internal/builder/rustflags, internal/builder/wasmmem;
// built on first use: only the benchmarks and the Rust tests need it).
func rustGuestT(t testing.TB) []byte {
	t.Helper()
	return rustGuestStackT(t, rustflags.DefaultStackSize)
}

// rustGuestStackT is rustGuestT with a shadow stack of stackSize bytes.
func rustGuestStackT(t testing.TB, stackSize int) []byte {
	t.Helper()
	return rustExampleT(t, rustExample{"echo", stackSize, false})
}

// rustSecretsGuestT is the Rust SDK's secrets example
// (sdk/rust/examples/secrets.rs), built as rustGuestT.
func rustSecretsGuestT(t testing.TB) []byte {
	t.Helper()
	return rustExampleT(t, rustExample{"secrets", rustflags.DefaultStackSize, false})
}

// rustExampleT builds ex once per test binary.
func rustExampleT(t testing.TB, ex rustExample) []byte {
	t.Helper()
	v, _ := rustGuests.LoadOrStore(ex, &rustGuestBuild{})
	g := v.(*rustGuestBuild)
	g.once.Do(func() { g.module, g.err = buildRust(ex) })
	if g.err != nil {
		if _, err := os.Stat("/usr/bin/cargo"); err != nil {
			testenv.Missingf(t, "no Debian cargo to build the Rust test guest: %v", err)
		}
		t.Fatalf("rust guest: %v", g.err)
	}
	return g.module
}

// rustSecretsReactorT is the secrets example built as a reactor module
// (faas_wasm_fn::reactor!), as the builder's reactor shape builds a
// function's library: testdata/rust-reactor.
func rustSecretsReactorT(t testing.TB) []byte {
	t.Helper()
	return rustExampleT(t, rustExample{"secrets", rustflags.DefaultStackSize, true})
}

// rustReactorCrate is the library crate that makes the secrets example a
// reactor module.
const rustReactorCrate = "testdata/rust-reactor"

// buildRust builds the example ex.name with a shadow stack of ex.stackSize
// bytes, as a command module or (ex.reactor) as a reactor.
func buildRust(ex rustExample) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(rustSDK, "src", "*.rs"))
	if err != nil {
		return nil, err
	}
	files = append(files, filepath.Join(rustSDK, "examples", ex.name+".rs"), filepath.Join(rustSDK, "Cargo.toml"), filepath.Join(rustSDK, "Cargo.lock"))
	flags, linkArgs := rustflags.Wasm(), rustflags.StackSize(ex.stackSize)
	flagSum := sha256.Sum256([]byte(strings.Join(flags, "\x00")))
	shape, dir, output, artifact := "command", rustSDK, []string{"--example", ex.name}, filepath.Join("examples", ex.name+".wasm")
	if ex.reactor {
		shape, dir, output, artifact = "reactor", rustReactorCrate, []string{"--lib", "--crate-type", "cdylib"}, "rust_reactor.wasm"
		files = append(files, filepath.Join(dir, "Cargo.toml"), filepath.Join(dir, "Cargo.lock"), filepath.Join(dir, "src", "lib.rs"))
		sysroot, err := exec.Command("/usr/bin/rustc", "--print", "sysroot").Output()
		if err != nil {
			return nil, fmt.Errorf("rustc --print sysroot: %w", err)
		}
		linkArgs = append(linkArgs, rustflags.ReactorStart(strings.TrimSpace(string(sysroot)))...)
	}
	key, err := hashSources(files...)
	if err != nil {
		return nil, err
	}
	return cached(fmt.Sprintf("rust-%s-%s-%s-%x-stack%d-heap%d", ex.name, shape, key, flagSum[:6], ex.stackSize, wasmmem.DefaultHeapReserve), func(out string) error {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		// Keyed by the flags, as the builder's (the stack size is a link
		// argument of the example only).
		target := filepath.Join(base, "faas-wasm", "testguests", "cargo-target", hex.EncodeToString(flagSum[:6]))
		args := append(append(append([]string{"rustc", "--release", "--offline"}, output...), "--target", rustflags.WasmTarget, "--"), linkArgs...)
		cmd := exec.Command("/usr/bin/cargo", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CARGO_TARGET_DIR="+target, "RUSTC=/usr/bin/rustc",
			"CARGO_ENCODED_RUSTFLAGS="+strings.Join(flags, "\x1f"))
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("cargo %s: %w: %s", strings.Join(args, " "), err, b)
		}
		b, err := os.ReadFile(filepath.Join(target, rustflags.WasmTarget, "release", artifact))
		if err != nil {
			return err
		}
		if b, err = wasmmem.ReserveHeap(b, wasmmem.DefaultHeapReserve); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}

func sum(b []byte) []byte { s := sha256.Sum256(b); return s[:] }

func hashSources(paths ...string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", runtime.Version())
	sort.Strings(paths)
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", p, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// cached returns the artifact named key from the test cache, building it
// with build(outPath) when missing.
func cached(key string, build func(out string) error) ([]byte, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "faas-wasm", "testguests")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, key+".wasm")
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := build(tmp); err != nil {
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

func buildGo(dir string, reactor bool) ([]byte, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	key, err := hashSources(files...)
	if err != nil {
		return nil, err
	}
	args := []string{"build", "-trimpath", "-o"}
	tail := []string{"./" + dir}
	kind := "command"
	if reactor {
		kind = "reactor"
		tail = append([]string{"-tags", "reactor", "-buildmode=c-shared"}, tail...)
	}
	return cached("go-"+kind+"-"+key, func(out string) error {
		abs, err := filepath.Abs(out)
		if err != nil {
			return err
		}
		cmd := exec.Command("go", append(append(args, abs), tail...)...)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s (%s): %w: %s", dir, kind, err, out)
		}
		return nil
	})
}

// cSDK is the C SDK, linked into the C test guest for its fw_secret.
const cSDK = "../../../sdk/c"

func buildC(file string, flags ...string) ([]byte, error) {
	sdk := filepath.Join(cSDK, "faaswasm.c")
	key, err := hashSources(file, sdk, filepath.Join(cSDK, "faaswasm.h"))
	if err != nil {
		return nil, err
	}
	flagSum := sha256.Sum256([]byte(strings.Join(flags, "\x00")))
	return cached(fmt.Sprintf("c-%s-%x", key, flagSum[:6]), func(out string) error {
		args := append(append([]string{"--target=wasm32-wasi", "-O2"}, flags...), "-I", cSDK, "-o", out, file, sdk)
		cmd := exec.Command("clang", args...)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("clang %s: %w: %s", file, err, b)
		}
		return nil
	})
}

// TestRustGuest runs the Rust SDK's echo example (the Rust benchmark guest)
// as a fresh command instance: the request reaches the guest and its
// status, headers and body come back.
func TestRustGuest(t *testing.T) {
	f := deploy(t, rustGuestT(t), Config{Mode: ModeFresh, MaxConcurrency: 1})
	resp, err := call(f, "do=echo", "hello")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 200 || resp.Header.Get("X-Echo") != "1" {
		t.Fatalf("status %d, headers %v", resp.Status, resp.Header)
	}
	if want := "POST /fn/path?do=echo\n"; !strings.HasPrefix(string(resp.Body), want) || !strings.HasSuffix(string(resp.Body), "\nhello") {
		t.Fatalf("body %q, want %q… hello", resp.Body, want)
	}
}
