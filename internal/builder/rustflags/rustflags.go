// Package rustflags is the one definition of the rustc flags of faas-wasm's
// Rust builds: the builder (internal/builder) compiles functions with them
// and the Wasm engine's benchmarks (internal/runtime/wasm) compile their
// Rust guest with them, so the benchmarks measure what the builder ships.
package rustflags

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// WasmTarget is Debian rustc 1.63's name for WASI preview 1 (later
// toolchains call it wasm32-wasip1).
const WasmTarget = "wasm32-wasi"

// Wasm returns the flags of every crate of a wasm32-wasi build: panic=abort,
// +simd128 and a vector interleave of 4.
//
// +simd128: wasmtime compiles Wasm SIMD, so LLVM may vectorise 128 bits
// wide, as it does natively with SSE2. Measured on the aes function
// (Debian's aes-soft, bitsliced): 12–16 ms of CPU per call with simd128
// against 20 ms without.
//
// Interleave 4 (-force-vector-interleave=4): each vectorised loop handles
// four vectors per iteration instead of one. The engine runs guests with
// epoch interruption (the timeouts), so every Wasm loop header carries a
// check whose slow path is a call; Cranelift keeps few values in registers
// across it and spills and reloads the loop's vectors and the heap base on
// every iteration (wasmtime issue 7244). Four vectors per iteration pay
// that once per eight f64s instead of per two. Measured in one run (study
// inputs, compute only, in wasmtime, µs per call, min of 200): matmul
// 121 → 53 (native 35), linear-equations 879 → 433 (native 204); aes,
// n-body, whatlang, prime-numbers unchanged; an interleave of 2 gave 67 and
// 495 (another run). The interleave reorders no floating-point operation
// (no reduction is vectorised without fast-math), so results stay
// bit-identical (test/functions TestNativeAndWasmAgree).
func Wasm() []string {
	return []string{"-C", "panic=abort", "-C", "target-feature=+simd128", "-C", "llvm-args=-force-vector-interleave=4"}
}

// Native returns the flags of every crate of a static native build.
func Native() []string { return []string{"-C", "target-feature=+crt-static"} }

// DefaultStackSize is the shadow stack of a Rust Wasm build when the
// function does not set com.openfaas.wasm.stack-size: 256 KiB instead of
// rustc's 1 MiB. The stack lies at the start of linear memory, and
// wasmtime's pooling allocator zeroes every byte of it that precedes the
// data image when an instance is released, touched or not (wasmtime-go 39
// has no dirty-page scan): measured in one run (`go test -bench
// BenchmarkInstance ./internal/runtime/wasm`, the SDK's echo), a fresh
// instance cost 62–75 µs p50 with a 64, 128 or 256 KiB stack — the same
// as the C guest's 65–71 µs (64 KiB) — and 98–112 µs with 1 MiB.
// 256 KiB is four times C's default and holds about 250 frames of a
// recursive function with 1 KiB of locals; a deeper one traps with a clean
// out-of-bounds error (rustc places the stack first, so an overflow leaves
// linear memory instead of overwriting data) and needs the annotation
// (internal/builder's TestRustWasmStackSize).
const DefaultStackSize = 256 << 10

// Stack sizes accepted by ParseStackSize.
const (
	MinStackSize = 16 << 10
	MaxStackSize = 64 << 20
)

// ReactorStart returns the link argument that links wasi-libc's reactor
// start-up object (crt1-reactor.o, which exports _initialize and runs the
// constructors there) of the wasm32-wasi sysroot of rustc (`rustc --print
// sysroot`) into a cdylib. rustc 1.63 links a wasm32-wasi cdylib without
// it: the library then exports its functions but no _initialize, the
// reactor ABI's entry that runs the module's constructors
// (__wasm_call_ctors) before the first call. Debian's
// libstd-rust-dev-wasm32 ships the object.
func ReactorStart(sysroot string) []string {
	return []string{"-C", "link-arg=" + filepath.Join(sysroot, "lib", "rustlib", WasmTarget, "lib", "self-contained", "crt1-reactor.o")}
}

// StackSize returns the link argument that sets the shadow stack of a Wasm
// build to n bytes. It goes to the final binary only (cargo rustc), so
// builds with different stack sizes share every compiled dependency.
func StackSize(n int) []string {
	return []string{"-C", "link-arg=-zstack-size=" + strconv.Itoa(n)}
}

// ParseStackSize reads a stack size: bytes, or a number of KiB or MiB with
// the suffix Ki or Mi ("262144", "256Ki", "2Mi"), a multiple of 16 from
// MinStackSize to MaxStackSize. An empty s is DefaultStackSize.
func ParseStackSize(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultStackSize, nil
	}
	num, unit := s, 1
	switch {
	case strings.HasSuffix(s, "Ki"):
		num, unit = strings.TrimSuffix(s, "Ki"), 1<<10
	case strings.HasSuffix(s, "Mi"):
		num, unit = strings.TrimSuffix(s, "Mi"), 1<<20
	}
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > MaxStackSize/unit {
		return 0, fmt.Errorf("stack size %q: want bytes or a number with Ki or Mi, from %d to %d bytes", s, MinStackSize, MaxStackSize)
	}
	n *= unit
	if n < MinStackSize || n%16 != 0 {
		return 0, fmt.Errorf("stack size %q: want a multiple of 16 bytes from %d to %d", s, MinStackSize, MaxStackSize)
	}
	return n, nil
}
