// Package wasmbin reads the section structure of WebAssembly core module
// binaries: the header, the section headers and the unsigned LEB128
// integers they are written in. The builder's packages that look into a
// module they built (wasmmem, snapshot) find their section here.
package wasmbin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrMalformed reports a module whose header or sections could not be read.
var ErrMalformed = errors.New("malformed Wasm module")

// Header starts every core module: the magic and version 1.
var Header = []byte{0x00, 'a', 's', 'm', 0x01, 0x00, 0x00, 0x00}

// Section walks module's section headers to the first section with the
// given id and returns the offsets of its id byte and of its end, and its
// body (what follows its size); start is -1 when there is none.
//
// # Errors
// ErrMalformed when module has no core module header, or a section header
// before the one found cannot be read or runs past the end.
func Section(module []byte, id byte) (start int, body []byte, end int, err error) {
	if !bytes.HasPrefix(module, Header) {
		return -1, nil, 0, fmt.Errorf("%w: no Wasm core module header", ErrMalformed)
	}
	for off := len(Header); off < len(module); {
		size, n, err := ReadU32(module[off+1:])
		if err != nil {
			return -1, nil, 0, fmt.Errorf("section at offset %d: %w", off, err)
		}
		next := off + 1 + n + int(size)
		if next > len(module) {
			return -1, nil, 0, fmt.Errorf("%w: section at offset %d runs past the end", ErrMalformed, off)
		}
		if module[off] == id {
			return off, module[off+1+n : next], next, nil
		}
		off = next
	}
	return -1, nil, 0, nil
}

// ReadU32 decodes an unsigned LEB128 u32 (at most 5 bytes) at the start of
// b and returns it with the number of bytes it took.
//
// # Errors
// ErrMalformed for a truncated, over-long or too large integer.
func ReadU32(b []byte) (uint32, int, error) {
	v, n := binary.Uvarint(b) // unsigned LEB128
	switch {
	case n == 0:
		return 0, 0, fmt.Errorf("%w: truncated integer", ErrMalformed)
	case n < 0 || n > 5:
		return 0, 0, fmt.Errorf("%w: integer longer than 5 bytes", ErrMalformed)
	case v > 1<<32-1:
		return 0, 0, fmt.Errorf("%w: integer too large", ErrMalformed)
	}
	return uint32(v), n, nil
}

// AppendU32 appends v as unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	return binary.AppendUvarint(b, uint64(v))
}
