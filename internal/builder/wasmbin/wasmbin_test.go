package wasmbin

import (
	"bytes"
	"errors"
	"testing"
)

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
