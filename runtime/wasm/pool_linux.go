package wasm

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// poolingPossible checks that the address space the pooling allocator
// reserves up front (a 4 GiB memory plus guards per slot) fits in the
// process's RLIMIT_AS, since wasmtime aborts the process when the reservation
// fails rather than returning an error.
func poolingPossible(slots int) error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_AS, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	const perSlot = 8 << 30 // 4 GiB reservation + guard regions, rounded up
	need := uint64(slots) * perSlot
	if lim.Cur != unix.RLIM_INFINITY && lim.Cur < need+(1<<30) {
		return fmt.Errorf("RLIMIT_AS %d bytes is below the %d bytes %d pool slots reserve", lim.Cur, need, slots)
	}
	return nil
}
