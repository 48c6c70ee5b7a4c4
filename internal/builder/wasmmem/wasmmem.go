// Package wasmmem sets aside heap in the initial linear memory of the Wasm
// command modules faas-wasm builds from Rust and C, so that a typical
// request never grows memory.
//
// Why: the engine runs every request in a fresh instance from wasmtime's
// pooling allocator, whose linear memories rely on guard pages. A request
// that grows memory (memory.grow: the allocator asking for heap beyond the
// initial memory, which wasm-ld sizes to the stack and static data only)
// leaves its slot larger than the module's initial memory, and the next
// instance in that slot starts by protecting the excess again: an mprotect
// that removes access, hence a TLB shootdown across the host's CPUs. On
// the 2-core development VM that cost 0.2–0.5 ms per request under load,
// several times the request's own work for the study's matmul (one 64 KiB
// page of growth), linear-equations (two) and whatlang (one). A heap set
// aside in the initial memory costs only its reset when the instance ends
// (wasmtime zeroes the kept-resident memory in place, ~10 µs for 256 KiB).
package wasmmem

import (
	"fmt"

	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

// PageSize is the size of a Wasm linear memory page.
const PageSize = 64 << 10

// DefaultHeapReserve is the heap ReserveHeap sets aside in the builds of
// internal/builder: four pages, the study functions' largest growth (two
// pages, linear-equations with 128 unknowns) with room to spare.
const DefaultHeapReserve = 4 * PageSize

// ErrMalformed reports a module whose sections could not be read.
var ErrMalformed = wasmbin.ErrMalformed

// sectionMemory is the id of the memory section.
const sectionMemory = 5

// ReserveHeap returns module with the initial size of its linear memory
// raised by reserve bytes, rounded up to whole pages and capped at the
// memory's maximum. A module that imports its memory, has no memory or more
// than one, or a shared or 64-bit memory is returned unchanged; so is one
// already at its maximum. Only the memory section changes: every other
// section keeps its bytes, so code offsets (names, DWARF) stay valid.
//
// # Errors
// ErrMalformed when module is not a Wasm binary whose section headers and
// memory section can be read; an error for a negative reserve.
func ReserveHeap(module []byte, reserve int) ([]byte, error) {
	if reserve < 0 {
		return nil, fmt.Errorf("reserve heap: negative reserve %d", reserve)
	}
	mem, ok, err := readMemory(module)
	if err != nil || !ok {
		return module, err
	}
	want := min(uint64(mem.Min)+(uint64(reserve)+PageSize-1)/PageSize, uint64(mem.Max))
	if want <= uint64(mem.Min) {
		return module, nil
	}
	grown := mem.Limits
	grown.Min = uint32(want)
	body := wasmbin.AppendLimits(wasmbin.AppendU32(nil, 1), grown)
	body = append(body, mem.rest...)

	out := make([]byte, 0, len(module)+8)
	out = append(out, module[:mem.start]...)
	out = wasmbin.AppendSection(out, sectionMemory, body)
	out = append(out, module[mem.end:]...)
	return out, nil
}

// InitialPages returns the initial size in pages of module's own linear
// memory, and false when it has none ReserveHeap would change (imported,
// absent, several, shared or 64-bit).
//
// # Errors
// ErrMalformed, as ReserveHeap.
func InitialPages(module []byte) (uint32, bool, error) {
	mem, ok, err := readMemory(module)
	return mem.Min, ok, err
}

// memory is a module's one 32-bit unshared memory as its memory section
// declares it. start and end delimit the whole section (from its id byte);
// rest is what follows the limits in the section.
type memory struct {
	start, end int
	wasmbin.Limits
	rest []byte
}

// readMemory reads module's memory section; false when the module has no
// memory ReserveHeap handles.
func readMemory(module []byte) (memory, bool, error) {
	start, body, end, err := wasmbin.Section(module, sectionMemory)
	if err != nil || start < 0 {
		return memory{}, false, err
	}
	r := wasmbin.NewReader(body)
	count, err := r.U32()
	if err != nil {
		return memory{}, false, fmt.Errorf("memory section: %w", err)
	}
	if count != 1 {
		return memory{}, false, nil
	}
	limits, err := r.Limits()
	if err != nil {
		return memory{}, false, fmt.Errorf("memory section: %w", err)
	}
	if limits.Flags > wasmbin.LimitsMax {
		return memory{}, false, nil
	}
	return memory{start: start, end: end, Limits: limits, rest: r.Rest()}, true, nil
}
