package wasm

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poolingPossible checks that the address space the pooling allocator
// reserves up front fits in the process's RLIMIT_AS, since wasmtime aborts
// the process when the reservation fails rather than returning an error.
func poolingPossible(slots int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	return poolingFits(slots, lim.Cur)
}

// poolingFits reports whether slots pool slots (a 4 GiB memory reservation
// plus guard regions each, rounded up to 8 GiB) and 1 GiB for everything
// else fit in an address-space limit.
func poolingFits(slots int, limit uint64) error {
	const perSlot = 8 << 30
	need := uint64(slots)*perSlot + 1<<30
	if limit != unix.RLIM_INFINITY && limit < need {
		return fmt.Errorf("RLIMIT_AS is %d bytes, below the %d bytes %d pool slots reserve", limit, need, slots)
	}
	return nil
}

// decommit drops the pages of the n bytes at base (MADV_DONTNEED): the
// next access reads a private file mapping's file page again, an anonymous
// mapping's a zero page.
func decommit(base unsafe.Pointer, n uint64) error {
	if err := unix.Madvise(unsafe.Slice((*byte)(base), n), unix.MADV_DONTNEED); err != nil {
		return fmt.Errorf("release linear memory at %p: %w", base, err)
	}
	return nil
}
