package snapshot

import (
	"fmt"
	"math"
	"slices"

	"github.com/faas-wasm/faas-wasm/internal/wasmbin"
)

// Section ids.
const (
	secImport    = 2
	secMemory    = 5
	secGlobal    = 6
	secExport    = wasmbin.SectionExport
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
)

// sectionRank is the order of the known sections in a module (the tag
// section, 13, sits between memory and global).
var sectionRank = map[byte]int{1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}

// Value types a global may have to be snapshotted.
const (
	typeI32 = 0x7f
	typeI64 = 0x7e
	typeF32 = 0x7d
	typeF64 = 0x7c
)

// module is what the pre-initialiser needs to know of a reactor module.
type module struct {
	sections []wasmbin.RawSection
	globals  []global // the module's own globals, in index order
	memory   bool     // it defines its memory (index 0)
	limits   wasmbin.Limits
	exports  []wasmbin.Export
}

type global struct {
	valType byte
	mutable bool
}

// parseModule reads the sections the pre-initialiser rewrites and refuses,
// with ErrUnsupported, what it cannot snapshot faithfully.
//
// # Errors
// wasmbin.ErrMalformed for a module it cannot read; ErrUnsupported.
func parseModule(b []byte) (*module, error) {
	sections, err := wasmbin.Sections(b)
	if err != nil {
		return nil, err
	}
	m := &module{sections: sections}
	for _, s := range sections {
		r := wasmbin.NewReader(s.Body)
		switch s.ID {
		case secImport:
			err = checkImports(r)
		case secMemory:
			err = m.readMemory(r)
		case secGlobal:
			err = m.readGlobals(r)
		case secExport:
			m.exports, err = r.ReadExports()
		case secElement:
			err = checkElements(r)
		case secDataCount:
			err = fmt.Errorf("%w: a data count section (memory.init or data.drop in the code)", ErrUnsupported)
		case secData:
			err = checkData(r)
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkImports refuses imported tables, memories, globals and tags: their
// state lives outside the module, where a snapshot cannot keep it.
func checkImports(r *wasmbin.Reader) error {
	return r.Vec(func(uint32) error {
		mod, err := r.Name()
		if err != nil {
			return err
		}
		name, err := r.Name()
		if err != nil {
			return err
		}
		kind, err := r.Byte()
		if err != nil {
			return err
		}
		if kind != wasmbin.KindFunc {
			return fmt.Errorf("%w: it imports %s.%s of kind %d (only functions can be imported)", ErrUnsupported, mod, name, kind)
		}
		if _, err := r.U32(); err != nil {
			return err
		}
		return nil
	})
}

func (m *module) readMemory(r *wasmbin.Reader) error {
	n, err := r.U32()
	if err != nil {
		return err
	}
	if n > 1 {
		return fmt.Errorf("%w: %d memories", ErrUnsupported, n)
	}
	if n == 0 {
		return nil
	}
	if m.limits, err = r.Limits(); err != nil {
		return err
	}
	if m.limits.Flags > wasmbin.LimitsMax {
		return fmt.Errorf("%w: a shared or 64-bit memory (limits flags %#x)", ErrUnsupported, m.limits.Flags)
	}
	m.memory = true
	return nil
}

func (m *module) readGlobals(r *wasmbin.Reader) error {
	return r.Vec(func(i uint32) error {
		t, err := r.Byte()
		if err != nil {
			return err
		}
		switch t {
		case typeI32, typeI64, typeF32, typeF64:
		default:
			return fmt.Errorf("%w: global %d has value type %#x (only numbers are snapshotted)", ErrUnsupported, i, t)
		}
		mut, err := r.Byte()
		if err != nil {
			return err
		}
		if mut > 1 {
			return fmt.Errorf("%w: global %d mutability %d", wasmbin.ErrMalformed, i, mut)
		}
		if _, err := r.ConstExpr(); err != nil {
			return err
		}
		m.globals = append(m.globals, global{valType: t, mutable: mut == 1})
		return nil
	})
}

// funcExported reports whether the module exports a function by this name.
func (m *module) funcExported(name string) bool {
	for _, e := range m.exports {
		if e.Kind == wasmbin.KindFunc && e.Name == name {
			return true
		}
	}
	return false
}

// checkElements refuses passive element segments: table.init could copy
// them into a table during initialisation, and tables are not snapshotted.
// Active segments fill tables at instantiation, as they will again;
// declarative ones only declare functions for ref.func.
func checkElements(r *wasmbin.Reader) error {
	return r.Vec(func(i uint32) error {
		flags, err := r.U32()
		if err != nil {
			return err
		}
		if flags > 7 {
			return fmt.Errorf("%w: element segment %d flags %d", wasmbin.ErrMalformed, i, flags)
		}
		if flags&3 == 1 {
			return fmt.Errorf("%w: passive element segment %d", ErrUnsupported, i)
		}
		if flags&2 != 0 && flags&1 == 0 { // explicit table index
			if _, err := r.U32(); err != nil {
				return err
			}
		}
		if flags&1 == 0 { // active: offset
			if _, err := r.ConstExpr(); err != nil {
				return err
			}
		}
		if flags&3 != 0 { // element kind or reference type
			if _, err := r.Byte(); err != nil {
				return err
			}
		}
		count, err := r.U32()
		if err != nil {
			return err
		}
		for range count {
			if flags&4 != 0 {
				_, err = r.ConstExpr()
			} else {
				_, err = r.U32()
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// checkData refuses passive data segments, which memory.init could copy
// into memory after the snapshot as well as before it.
func checkData(r *wasmbin.Reader) error {
	return r.Vec(func(i uint32) error {
		flags, err := r.U32()
		if err != nil {
			return err
		}
		switch flags {
		case 0:
		case 1:
			return fmt.Errorf("%w: passive data segment %d", ErrUnsupported, i)
		case 2:
			if _, err := r.U32(); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: data segment %d flags %d", wasmbin.ErrMalformed, i, flags)
		}
		if _, err := r.ConstExpr(); err != nil {
			return err
		}
		size, err := r.U32()
		if err != nil {
			return err
		}
		if _, err := r.Bytes(size); err != nil {
			return err
		}
		return nil
	})
}

// encode writes the module's sections, with the body in replace for each
// section id in it: replacing the module's section, added in its place in
// the section order when the module has none, or dropping it when nil.
func (m *module) encode(replace map[byte][]byte) []byte {
	var missing []byte // ids of added sections, in section order
	for id, body := range replace {
		if body != nil && !slices.ContainsFunc(m.sections, func(s wasmbin.RawSection) bool { return s.ID == id }) {
			missing = append(missing, id)
		}
	}
	slices.SortFunc(missing, func(a, b byte) int { return sectionRank[a] - sectionRank[b] })
	out := append([]byte(nil), wasmbin.Header...)
	addMissing := func(before int) {
		for len(missing) > 0 && sectionRank[missing[0]] < before {
			out = wasmbin.AppendSection(out, missing[0], replace[missing[0]])
			missing = missing[1:]
		}
	}
	for _, s := range m.sections {
		if rank, known := sectionRank[s.ID]; known {
			addMissing(rank)
		}
		body, ok := replace[s.ID]
		if !ok {
			body = s.Body
		}
		if body != nil {
			out = wasmbin.AppendSection(out, s.ID, body)
		}
	}
	addMissing(math.MaxInt)
	return out
}
