//go:build !linux

package wasm

import (
	"errors"
	"fmt"
	"unsafe"
)

// poolingPossible has no address-space check outside Linux.
func poolingPossible(int) error { return nil }

// decommit keeps the memory resident outside Linux.
func decommit(unsafe.Pointer, uint64) error {
	return fmt.Errorf("release linear memory: %w", errors.ErrUnsupported)
}
