package wasm

import (
	"unsafe"

	"github.com/bytecodealliance/wasmtime-go/v39"
)

// closeStore closes a store made by slot.newStore.
func (e *Engine) closeStore(store *wasmtime.Store) {
	store.Close()
	e.stores.RUnlock()
}

// noteMemory records the pool slot whose linear memory inst uses, for
// ReleaseMemory. Without pooling a memory is unmapped with its store and
// nothing is recorded.
func (e *Engine) noteMemory(inst instance) {
	if !e.pooling || inst.memory == nil {
		return
	}
	e.memories.LoadOrStore(inst.memory, struct{}{})
}

// ReleaseMemory gives back to the node the linear-memory pages that the
// pooling allocator keeps resident between instances (WithKeepResident):
// the copied-on-write pages of the module's memory image and the heap pages
// the guests touched, in every pool slot an instance has used. It does so
// only when no instance of the engine exists — no call is running and no
// warm instance is kept — and reports whether it did.
//
// It changes no call's result: an ended instance's slot already holds the
// module's initial memory (the image, zeros after it), and after the
// release the next instance reads the same from the mapped image and fresh
// zero pages. That next instance pays the page faults that keeping the
// pages resident saves (see WithKeepResident). A caller serving one
// function releases after the function has been idle for a while, as the
// node runner does.
//
// # Errors
// madvise errors, which leave the memory resident and change nothing else.
func (e *Engine) ReleaseMemory() (bool, error) {
	if !e.pooling || !e.stores.TryLock() {
		return false, nil
	}
	defer e.stores.Unlock()
	// Close unmaps the pool: it takes releaseMu for writing first.
	e.releaseMu.RLock()
	defer e.releaseMu.RUnlock()
	if e.closed {
		return false, nil
	}
	var err error
	e.memories.Range(func(base, _ any) bool {
		err = decommit(base.(unsafe.Pointer), e.opts.keepResident)
		return err == nil
	})
	return err == nil, err
}
