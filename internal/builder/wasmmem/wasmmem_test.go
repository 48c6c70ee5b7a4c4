package wasmmem

import (
	"bytes"
	"errors"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

// module assembles a Wasm binary from sections given as id and body.
func module(sections ...[]byte) []byte {
	m := append([]byte(nil), wasmbin.Header...)
	for _, s := range sections {
		m = append(m, s[0])
		m = wasmbin.AppendU32(m, uint32(len(s)-1))
		m = append(m, s[1:]...)
	}
	return m
}

// memSection is a memory section with one memory of the given limits flag
// and LEB128-encoded limits.
func memSection(flags byte, limits ...uint32) []byte {
	s := []byte{sectionMemory, 1, flags}
	for _, l := range limits {
		s = wasmbin.AppendU32(s, l)
	}
	return s
}

var (
	typeSection   = []byte{1, 1, 0x60, 0, 0}                  // one func type () -> ()
	customSection = []byte{0, 4, 'n', 'a', 'm', 'e', 1, 2, 3} // name "name", 3 bytes
)

func TestReserveHeap(t *testing.T) {
	cases := []struct {
		name    string
		in      []byte
		reserve int
		want    []byte // nil: unchanged
	}{
		{"min only", module(typeSection, memSection(0, 5), customSection), 4 * PageSize,
			module(typeSection, memSection(0, 9), customSection)},
		{"rounded up to a page", module(memSection(0, 5)), 1, module(memSection(0, 6))},
		{"integer grows a byte", module(typeSection, memSection(0, 126), customSection), 2 * PageSize,
			module(typeSection, memSection(0, 128), customSection)},
		{"max kept", module(memSection(1, 5, 100)), DefaultHeapReserve, module(memSection(1, 9, 100))},
		{"capped at max", module(memSection(1, 5, 7)), DefaultHeapReserve, module(memSection(1, 7, 7))},
		{"capped at 4 GiB", module(memSection(0, wasmbin.MaxPages-1)), DefaultHeapReserve, module(memSection(0, wasmbin.MaxPages))},
		{"at max", module(memSection(1, 7, 7)), DefaultHeapReserve, nil},
		{"no reserve", module(memSection(0, 5)), 0, nil},
		{"imported memory", module(typeSection, customSection), DefaultHeapReserve, nil},
		{"shared memory", module(memSection(3, 5, 10)), DefaultHeapReserve, nil},
		{"64-bit memory", module(memSection(4, 5)), DefaultHeapReserve, nil},
		{"two memories", module([]byte{sectionMemory, 2, 0, 1, 0, 1}), DefaultHeapReserve, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ReserveHeap(c.in, c.reserve)
			if err != nil {
				t.Fatal(err)
			}
			want := c.want
			if want == nil {
				want = c.in
			}
			if !bytes.Equal(got, want) {
				t.Errorf("ReserveHeap = %x\nwant %x", got, want)
			}
		})
	}
}

func TestInitialPages(t *testing.T) {
	if n, ok, err := InitialPages(module(typeSection, memSection(1, 17, 100))); n != 17 || !ok || err != nil {
		t.Errorf("InitialPages = %d, %t, %v; want 17, true, nil", n, ok, err)
	}
	if _, ok, err := InitialPages(module(typeSection)); ok || err != nil {
		t.Errorf("no memory section: ok %t, err %v; want false, nil", ok, err)
	}
}

func TestReserveHeapMalformed(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":             nil,
		"not wasm":          []byte("\x7fELF\x02\x01\x01\x00"),
		"component":         {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00},
		"section past end":  append(append([]byte(nil), wasmbin.Header...), 1, 9, 0),
		"truncated size":    append(append([]byte(nil), wasmbin.Header...), 1, 0x80),
		"size over 5 bytes": append(append([]byte(nil), wasmbin.Header...), 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0),
		"no limits":         module([]byte{sectionMemory, 1}),
		"truncated min":     module([]byte{sectionMemory, 1, 0, 0x85}),
		"truncated max":     module([]byte{sectionMemory, 1, 1, 5}),
		"min above max":     module(memSection(1, 8, 7)),
		"max above 4 GiB":   module(memSection(1, 8, wasmbin.MaxPages+1)),
		"min above 4 GiB":   module(memSection(0, wasmbin.MaxPages+1)),
		"count unreadable":  module([]byte{sectionMemory, 0x81}),
		"integer above u32": module([]byte{sectionMemory, 1, 0, 0xff, 0xff, 0xff, 0xff, 0x7f}),
	} {
		if _, err := ReserveHeap(in, DefaultHeapReserve); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
	if _, err := ReserveHeap(module(memSection(0, 5)), -1); err == nil {
		t.Error("negative reserve: no error")
	}
}

// FuzzReserveHeap: any input gives an error or a module whose memory, if
// ReserveHeap handles it, grew by the reserve (capped at its maximum) and
// whose other bytes are unchanged.
func FuzzReserveHeap(f *testing.F) {
	f.Add(module(typeSection, memSection(0, 5), customSection), 3)
	f.Add(module(memSection(1, 5, 7)), 1)
	f.Add(module(memSection(3, 5, 10)), 9)
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x05\x03\x01\x00\x7f"), 2)
	f.Fuzz(func(t *testing.T, in []byte, pages int) {
		pages = pages & 0xff
		out, err := ReserveHeap(in, pages*PageSize)
		if err != nil {
			return
		}
		before, ok, err := InitialPages(in)
		if err != nil || !ok {
			if !bytes.Equal(out, in) {
				t.Fatalf("module without a handled memory changed: %x → %x", in, out)
			}
			return
		}
		after, ok, err := InitialPages(out)
		if err != nil || !ok {
			t.Fatalf("output unreadable: %v", err)
		}
		mem, _, _ := readMemory(in)
		want := min(uint64(before)+uint64(pages), uint64(mem.Max))
		if uint64(after) != want {
			t.Fatalf("initial pages %d → %d, want %d", before, after, want)
		}
		outMem, _, _ := readMemory(out)
		if !bytes.Equal(in[:mem.start], out[:outMem.start]) || !bytes.Equal(in[mem.end:], out[outMem.end:]) {
			t.Fatal("bytes outside the memory section changed")
		}
	})
}
