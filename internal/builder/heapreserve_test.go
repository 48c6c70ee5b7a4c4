package builder

import (
	"fmt"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/builder/wasmmem"
)

// allocRust is a Cargo package (no dependencies) whose CGI program
// allocates and touches ?kib KiB of heap and answers how many pages its
// linear memory grew by.
const allocRust = `fn main() {
    let q = std::env::var("QUERY_STRING").unwrap_or_default();
    let kib: usize = q.trim_start_matches("kib=").parse().unwrap_or(0);
    let before = core::arch::wasm32::memory_size(0);
    let mut v = vec![0u8; kib << 10];
    for i in (0..v.len()).step_by(4096) {
        unsafe { std::ptr::write_volatile(&mut v[i], 1) };
    }
    let grew = core::arch::wasm32::memory_size(0) - before;
    drop(v);
    print!("Content-Type: text/plain\n\n{}", grew);
}
`

// TestRustWasmHeapReserve builds a Rust function for Wasm and checks that a
// request allocating 128 KiB does not grow linear memory (the builder set
// wasmmem.DefaultHeapReserve aside in its initial memory), while one
// allocating 1 MiB does.
func TestRustWasmHeapReserve(t *testing.T) {
	build, run := rustWasmRunner(t, "alloc", allocRust)
	module := build(t, "")
	pages, ok, err := wasmmem.InitialPages(module)
	if err != nil || !ok {
		t.Fatalf("initial pages: %d, %t, %v", pages, ok, err)
	}
	t.Logf("initial memory %d pages", pages)
	for kib, grows := range map[int]bool{128: false, 1024: true} {
		out, err := run(t, module, fmt.Sprintf("kib=%d", kib))
		if err != nil {
			t.Fatalf("kib=%d: %v", kib, err)
		}
		if (out != "0") != grows {
			t.Errorf("allocating %d KiB grew memory by %s pages; want growth %t", kib, out, grows)
		}
	}
}
