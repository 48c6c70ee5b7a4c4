// Package wasmbin reads and writes the structure of WebAssembly core module
// binaries: the header, the sections, the LEB128 integers, names, memory
// limits and constant expressions they are written in. The builder's
// packages that look into a module they built (wasmmem, snapshot) decode it
// here, and every part of faas-wasm that tells a core module from other
// bytes (runtime/wasm before compiling, the shim finding a container's
// module) checks its header with HasHeader.
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

// HasHeader reports whether b starts with Header: a core module's first
// bytes. A component (the same magic, another version and layer), a
// module in the text format or an executable of another kind has not.
func HasHeader(b []byte) bool { return bytes.HasPrefix(b, Header) }

// Section returns the offsets of the id byte and of the end of module's
// first section with the given id, and its body; start is -1 when there is
// none.
//
// # Errors
// ErrMalformed, as Sections.
func Section(module []byte, id byte) (start int, body []byte, end int, err error) {
	sections, err := Sections(module)
	if err != nil {
		return -1, nil, 0, err
	}
	for _, s := range sections {
		if s.ID == id {
			return s.Start, s.Body, s.End, nil
		}
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

// RawSection is one section of a module: its id, its body (what follows
// its size), and the offsets of its id byte and of its end in the module.
type RawSection struct {
	ID         byte
	Body       []byte
	Start, End int
}

// Sections splits module into its sections, in order.
//
// # Errors
// ErrMalformed when module has no core module header or a section header
// cannot be read or runs past the end.
func Sections(module []byte) ([]RawSection, error) {
	if !HasHeader(module) {
		return nil, fmt.Errorf("%w: no Wasm core module header", ErrMalformed)
	}
	var out []RawSection
	for off := len(Header); off < len(module); {
		size, n, err := ReadU32(module[off+1:])
		if err != nil {
			return nil, fmt.Errorf("section at offset %d: %w", off, err)
		}
		next := off + 1 + n + int(size)
		if next > len(module) {
			return nil, fmt.Errorf("%w: section at offset %d runs past the end", ErrMalformed, off)
		}
		out = append(out, RawSection{ID: module[off], Body: module[off+1+n : next], Start: off, End: next})
		off = next
	}
	return out, nil
}

// AppendSection appends a section with the given id and body.
func AppendSection(b []byte, id byte, body []byte) []byte {
	b = append(b, id)
	b = AppendU32(b, uint32(len(body)))
	return append(b, body...)
}

// AppendS64 appends v as signed LEB128 (also the encoding of an s32).
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// Reader reads the values a section body is made of, in order.
type Reader struct{ b []byte }

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Len is the number of bytes left.
func (r *Reader) Len() int { return len(r.b) }

// Byte reads one byte.
//
// # Errors
// ErrMalformed at the end.
func (r *Reader) Byte() (byte, error) {
	if len(r.b) == 0 {
		return 0, fmt.Errorf("%w: unexpected end", ErrMalformed)
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}

// U32 reads an unsigned LEB128 u32.
//
// # Errors
// ErrMalformed, as ReadU32.
func (r *Reader) U32() (uint32, error) {
	v, n, err := ReadU32(r.b)
	r.b = r.b[n:]
	return v, err
}

// S64 reads a signed LEB128 integer of at most bits bits (32 or 64).
//
// # Errors
// ErrMalformed for a truncated or over-long integer.
func (r *Reader) S64(bits int) (int64, error) {
	var v int64
	for i, shift := 0, 0; ; i, shift = i+1, shift+7 {
		if i >= len(r.b) || i >= (bits+6)/7 {
			return 0, fmt.Errorf("%w: truncated or over-long signed integer", ErrMalformed)
		}
		c := r.b[i]
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			if shift+7 < 64 && c&0x40 != 0 {
				v |= -1 << (shift + 7)
			}
			r.b = r.b[i+1:]
			return v, nil
		}
	}
}

// Bytes reads the next n bytes.
//
// # Errors
// ErrMalformed when fewer are left.
func (r *Reader) Bytes(n uint32) ([]byte, error) {
	if uint64(n) > uint64(len(r.b)) {
		return nil, fmt.Errorf("%w: %d bytes wanted, %d left", ErrMalformed, n, len(r.b))
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b, nil
}

// Name reads a name: its length, then its bytes.
//
// # Errors
// ErrMalformed when it runs past the end.
func (r *Reader) Name() (string, error) {
	n, err := r.U32()
	if err != nil {
		return "", err
	}
	b, err := r.Bytes(n)
	return string(b), err
}

// ConstExpr reads a constant expression up to and including its end
// opcode and returns its bytes: the constant instructions of the core
// specification and the extended-const proposal.
//
// # Errors
// ErrMalformed for an instruction that is not constant or a truncated
// expression.
func (r *Reader) ConstExpr() ([]byte, error) {
	start := r.b
	for {
		op, err := r.Byte()
		if err != nil {
			return nil, err
		}
		switch op {
		case OpEnd:
			return start[:len(start)-len(r.b)], nil
		case OpI32Const:
			_, err = r.S64(32)
		case OpI64Const:
			_, err = r.S64(64)
		case OpF32Const:
			_, err = r.Bytes(4)
		case OpF64Const:
			_, err = r.Bytes(8)
		case opGlobalGet, opRefFunc:
			_, err = r.U32()
		case opRefNull:
			_, err = r.Byte()
		case opSIMD:
			var sub uint32
			if sub, err = r.U32(); err == nil && sub != opV128Const {
				err = fmt.Errorf("%w: SIMD instruction %d in a constant expression", ErrMalformed, sub)
			}
			if err == nil {
				_, err = r.Bytes(16)
			}
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // i32/i64 add, sub, mul
		default:
			return nil, fmt.Errorf("%w: opcode %#x in a constant expression", ErrMalformed, op)
		}
		if err != nil {
			return nil, err
		}
	}
}

// Opcodes of constant expressions.
const (
	OpEnd       = 0x0b
	OpI32Const  = 0x41
	OpI64Const  = 0x42
	OpF32Const  = 0x43
	OpF64Const  = 0x44
	opGlobalGet = 0x23
	opRefNull   = 0xd0
	opRefFunc   = 0xd2
	opSIMD      = 0xfd
	opV128Const = 12
)

// Vec reads a vector: its length n, then n elements, each read by each
// (called with the element's index).
//
// # Errors
// ErrMalformed for the length; each's first error.
func (r *Reader) Vec(each func(i uint32) error) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	for i := range n {
		if err := each(i); err != nil {
			return err
		}
	}
	return nil
}

// MaxPages is the most 64 KiB pages a 32-bit linear memory can have.
const MaxPages = 1 << 16

// LimitsMax is the flag of limits with a maximum; flags above it mark
// shared and 64-bit memories.
const LimitsMax = 0x01

// Limits are a memory type's: its flags, and for an unshared 32-bit memory
// (Flags at most LimitsMax) its minimum and maximum in pages, Max being
// MaxPages when the limits have none.
type Limits struct {
	Flags    byte
	Min, Max uint32
}

// Limits reads a memory type's limits; for a shared or 64-bit memory only
// its flags, leaving the rest unread.
//
// # Errors
// ErrMalformed when they cannot be read, or min exceeds max or max
// MaxPages.
func (r *Reader) Limits() (Limits, error) {
	var l Limits
	var err error
	if l.Flags, err = r.Byte(); err != nil || l.Flags > LimitsMax {
		return l, err
	}
	if l.Min, err = r.U32(); err != nil {
		return l, err
	}
	l.Max = MaxPages
	if l.Flags == LimitsMax {
		if l.Max, err = r.U32(); err != nil {
			return l, err
		}
	}
	if l.Min > l.Max || l.Max > MaxPages {
		return l, fmt.Errorf("%w: memory limits %d..%d pages", ErrMalformed, l.Min, l.Max)
	}
	return l, nil
}

// AppendLimits appends the limits of an unshared 32-bit memory.
func AppendLimits(b []byte, l Limits) []byte {
	b = AppendU32(append(b, l.Flags), l.Min)
	if l.Flags == LimitsMax {
		b = AppendU32(b, l.Max)
	}
	return b
}

// Rest returns the bytes left, without reading them.
func (r *Reader) Rest() []byte { return r.b }

// SectionExport is the id of the export section.
const SectionExport = 7

// External kinds of imports and exports.
const (
	KindFunc   = 0
	KindTable  = 1
	KindMemory = 2
	KindGlobal = 3
)

// Export is one entry of an export section.
type Export struct {
	Name  string
	Kind  byte // KindFunc, KindTable, KindMemory or KindGlobal
	Index uint32
}

// ReadExports reads an export section's entries.
//
// # Errors
// ErrMalformed when r does not hold them.
func (r *Reader) ReadExports() ([]Export, error) {
	var exports []Export
	err := r.Vec(func(uint32) error {
		var e Export
		var err error
		if e.Name, err = r.Name(); err != nil {
			return err
		}
		if e.Kind, err = r.Byte(); err != nil {
			return err
		}
		if e.Index, err = r.U32(); err != nil {
			return err
		}
		exports = append(exports, e)
		return nil
	})
	return exports, err
}

// AppendExports appends an export section's body holding exports.
func AppendExports(b []byte, exports []Export) []byte {
	b = AppendU32(b, uint32(len(exports)))
	for _, e := range exports {
		b = AppendU32(b, uint32(len(e.Name)))
		b = append(b, e.Name...)
		b = AppendU32(append(b, e.Kind), e.Index)
	}
	return b
}

// Exports returns module's exports, in order (none when it has no export
// section).
//
// # Errors
// ErrMalformed, as Sections and ReadExports.
func Exports(module []byte) ([]Export, error) {
	_, body, _, err := Section(module, SectionExport)
	if err != nil || body == nil {
		return nil, err
	}
	return NewReader(body).ReadExports()
}
