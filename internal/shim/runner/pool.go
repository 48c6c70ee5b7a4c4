package runner

import (
	"runtime"

	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// DefaultKeepResident is how much of each pooled linear memory a runner keeps
// resident between instances when no memory limit makes it smaller.
//
// A Go guest's snapshot alone is 5–6 MiB: with the engine's old default of
// 4 MiB kept, every fresh instance copy-on-write faulted the rest of the
// snapshot and the heap pages it touched (each fault a page copy plus a TLB
// shootdown across cores), and every release gave them back with madvise.
// Keeping the whole working set resident turns both into an in-place reset.
// Measured with faaswasm-runner on a shared 2-core host, 4 keep-alive
// workers (BenchmarkRunnerInvoke), CPU per request: prime-numbers 1.2–1.6 →
// 0.9–1.1 ms, matmul 2.4 → 1.5–1.8 ms, whatlang 3.1–3.7 → 2.1–3.0 ms,
// linear-equations unchanged; resident memory grows only by the pages guests
// touch (+6 MiB for prime-numbers with 4 slots in use). The engine's default
// is now 8 MiB, which holds the study functions' working sets as well; a
// runner serves one function, so it keeps room for larger heaps.
const DefaultKeepResident = 32 << 20

// poolSize sizes the pooling allocator for this one function instead of the
// engine's node-wide default: twice its concurrency (instances being
// released still hold a slot for a moment), at least 8. Fewer slots make
// the engine start faster and reserve less address space.
func poolSize(cfg runspec.Config) int {
	n := cfg.MaxConcurrency
	if n <= 0 {
		n = 2 * runtime.GOMAXPROCS(0)
	}
	return max(8, 2*n)
}

// keepResident is the resident part of each pooled linear memory:
// DefaultKeepResident, or under a memory limit the share of it that every
// pool slot may keep at once (cfg.MemoryLimit / poolSize), so pages kept
// for reuse never crowd out a running instance; never below the engine's
// default, and in whole Wasm pages.
func keepResident(cfg runspec.Config) uint64 {
	keep := uint64(DefaultKeepResident)
	if cfg.MemoryLimit > 0 {
		keep = min(keep, uint64(cfg.MemoryLimit)/uint64(poolSize(cfg)))
	}
	const wasmPage = 64 << 10
	return max(keep, wasm.DefaultKeepResident) &^ (wasmPage - 1)
}
