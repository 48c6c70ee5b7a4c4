package wasmbin

import (
	"bytes"
	"errors"
	"testing"
)

func TestHasHeader(t *testing.T) {
	for name, tc := range map[string]struct {
		in   []byte
		want bool
	}{
		"empty module":   {Header, true},
		"module":         {append(append([]byte(nil), Header...), 1, 0), true},
		"empty":          {nil, false},
		"magic only":     {[]byte("\x00asm"), false},
		"component":      {[]byte{0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00}, false},
		"version 2":      {[]byte{0x00, 'a', 's', 'm', 0x02, 0x00, 0x00, 0x00}, false},
		"text format":    {[]byte("(module)"), false},
		"ELF executable": {[]byte("\x7fELF\x02\x01\x01\x00"), false},
	} {
		if got := HasHeader(tc.in); got != tc.want {
			t.Errorf("%s: HasHeader = %v, want %v", name, got, tc.want)
		}
	}
}

func TestSection(t *testing.T) {
	mod := append(append([]byte(nil), Header...), 1, 2, 0xaa, 0xbb, 5, 0, 7, 1, 0xcc)
	start, body, end, err := Section(mod, 5)
	if err != nil || start != 12 || len(body) != 0 || end != 14 {
		t.Errorf("section 5: %d, %x, %d, %v; want 12, empty, 14, nil", start, body, end, err)
	}
	if start, body, end, err = Section(mod, 7); err != nil || start != 14 || !bytes.Equal(body, []byte{0xcc}) || end != len(mod) {
		t.Errorf("section 7: %d, %x, %d, %v; want 14, cc, %d, nil", start, body, end, err, len(mod))
	}
	if start, _, _, err = Section(mod, 3); err != nil || start != -1 {
		t.Errorf("absent section: start %d, err %v; want -1, nil", start, err)
	}
	for name, in := range map[string][]byte{
		"empty":            nil,
		"component":        {0x00, 'a', 's', 'm', 0x0d, 0x00, 0x01, 0x00},
		"section past end": append(append([]byte(nil), Header...), 1, 9, 0),
		"truncated size":   append(append([]byte(nil), Header...), 1, 0x80),
	} {
		if _, _, _, err := Section(in, 7); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestU32(t *testing.T) {
	for _, v := range []uint32{0, 1, 127, 128, 300, 1<<32 - 1} {
		b := AppendU32([]byte{9}, v)
		got, n, err := ReadU32(b[1:])
		if err != nil || got != v || n != len(b)-1 {
			t.Errorf("%d: read %d, %d bytes, %v; want %d, %d bytes", v, got, n, err, v, len(b)-1)
		}
	}
	for name, in := range map[string][]byte{
		"empty":        nil,
		"truncated":    {0x80},
		"over 5 bytes": {0x80, 0x80, 0x80, 0x80, 0x80, 0},
		"above u32":    {0xff, 0xff, 0xff, 0xff, 0x7f},
	} {
		if _, _, err := ReadU32(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestSections(t *testing.T) {
	mod := append(append([]byte(nil), Header...), 1, 2, 0xaa, 0xbb, 0, 1, 'x')
	got, err := Sections(mod)
	if err != nil || len(got) != 2 || got[0].ID != 1 || !bytes.Equal(got[0].Body, []byte{0xaa, 0xbb}) || got[1].Start != 12 || got[1].End != len(mod) {
		t.Fatalf("got %+v, %v", got, err)
	}
	var again []byte
	for _, s := range got {
		again = AppendSection(again, s.ID, s.Body)
	}
	if !bytes.Equal(again, mod[len(Header):]) {
		t.Errorf("AppendSection wrote %x, want %x", again, mod[len(Header):])
	}
}

func TestS64(t *testing.T) {
	for _, c := range []struct {
		v    int64
		bits int
	}{{0, 32}, {-1, 32}, {63, 32}, {64, 32}, {-64, 32}, {-65, 32}, {1<<31 - 1, 32}, {-1 << 31, 32}, {1<<63 - 1, 64}, {-1 << 63, 64}} {
		b := AppendS64(nil, c.v)
		r := NewReader(append(b, 0xee))
		if got, err := r.S64(c.bits); err != nil || got != c.v || r.Len() != 1 {
			t.Errorf("%d: read %d, %v, %d left; want it back, 1 left", c.v, got, err, r.Len())
		}
	}
	for name, in := range map[string][]byte{
		"empty":        nil,
		"truncated":    {0x80},
		"over 5 bytes": {0x80, 0x80, 0x80, 0x80, 0x80, 0},
	} {
		if _, err := NewReader(in).S64(32); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestConstExpr(t *testing.T) {
	expr := []byte{OpI32Const, 0x7f, OpI64Const, 1, 0x7c, OpF32Const, 0, 0, 0, 0, OpF64Const, 0, 0, 0, 0, 0, 0, 0, 0,
		0x23, 1, 0xd0, 0x70, 0xd2, 0, 0xfd, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, OpEnd}
	r := NewReader(append(expr, 0xee))
	if got, err := r.ConstExpr(); err != nil || !bytes.Equal(got, expr) || r.Len() != 1 {
		t.Errorf("got %x, %v, %d left", got, err, r.Len())
	}
	for name, in := range map[string][]byte{
		"no end":       {OpI32Const, 1},
		"not constant": {0x20, 0, OpEnd},
		"SIMD op":      {0xfd, 13, OpEnd},
	} {
		if _, err := NewReader(in).ConstExpr(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

// FuzzReader: the Reader's decoders never panic or read past the end, and
// signed integers read back what AppendS64 wrote.
func FuzzReader(f *testing.F) {
	f.Add([]byte{OpI32Const, 0x7f, OpEnd}, int64(-3))
	f.Add([]byte{0x80, 0x80, 0x80, 0x80, 0x01, 3, 'a', 'b', 'c'}, int64(1<<40))
	f.Fuzz(func(t *testing.T, b []byte, v int64) {
		for _, read := range []func(r *Reader) error{
			func(r *Reader) error { _, err := r.ConstExpr(); return err },
			func(r *Reader) error { _, err := r.Name(); return err },
			func(r *Reader) error { _, err := r.S64(32); return err },
			func(r *Reader) error { _, err := r.U32(); return err },
			func(r *Reader) error { _, err := r.Limits(); return err },
		} {
			r := NewReader(b)
			for r.Len() > 0 && read(r) == nil {
			}
		}
		if got, err := NewReader(AppendS64(nil, v)).S64(64); err != nil || got != v {
			t.Fatalf("%d read back as %d, %v", v, got, err)
		}
	})
}

func TestLimits(t *testing.T) {
	for _, l := range []Limits{{0, 3, MaxPages}, {LimitsMax, 1, 7}, {LimitsMax, 0, MaxPages}} {
		r := NewReader(append(AppendLimits(nil, l), 0xee))
		if got, err := r.Limits(); err != nil || got != l || !bytes.Equal(r.Rest(), []byte{0xee}) {
			t.Errorf("%+v: read %+v, %v, rest %x", l, got, err, r.Rest())
		}
	}
	r := NewReader([]byte{0x03, 1, 2})
	if got, err := r.Limits(); err != nil || got.Flags != 3 || r.Len() != 2 {
		t.Errorf("shared: %+v, %v, %d left; want flags 3 only", got, err, r.Len())
	}
	for name, in := range map[string][]byte{
		"empty":         nil,
		"truncated min": {0, 0x80},
		"no max":        {LimitsMax, 1},
		"min above max": AppendLimits(nil, Limits{LimitsMax, 8, 7}),
		"max too large": AppendLimits(nil, Limits{LimitsMax, 1, MaxPages + 1}),
	} {
		if _, err := NewReader(in).Limits(); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

func TestExports(t *testing.T) {
	want := []Export{{Name: "memory", Kind: KindMemory}, {Name: "faas_handle", Kind: KindFunc, Index: 300}, {Name: "_initialize", Kind: KindFunc, Index: 1}}
	mod := AppendSection(append([]byte(nil), Header...), SectionExport, AppendExports(nil, want))
	got, err := Exports(mod)
	if err != nil || len(got) != len(want) {
		t.Fatalf("Exports = %v, %v; want %v", got, err, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("export %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if got, err := Exports(Header); err != nil || got != nil {
		t.Errorf("no export section: %v, %v; want none", got, err)
	}
	truncated := AppendSection(append([]byte(nil), Header...), SectionExport, AppendExports(nil, want)[:9])
	if _, err := Exports(truncated); !errors.Is(err, ErrMalformed) {
		t.Errorf("truncated export section: %v, want ErrMalformed", err)
	}
}
