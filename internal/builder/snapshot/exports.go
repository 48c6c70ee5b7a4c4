package snapshot

import (
	"encoding/binary"
	"errors"

	"github.com/faas-wasm/faas-wasm/internal/builder/wasmbin"
)

// sectionExport is the id of the export section.
const sectionExport = 7

// funcExports returns the names of a core module's function exports by
// reading its export section; it validates nothing else.
func funcExports(mod []byte) (map[string]bool, error) {
	start, body, _, err := wasmbin.Section(mod, sectionExport)
	if err != nil {
		return nil, err
	}
	if start < 0 {
		return map[string]bool{}, nil
	}
	return parseExports(reader{b: body})
}

func parseExports(r reader) (map[string]bool, error) {
	n, err := r.uleb()
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for range n {
		l, err := r.uleb()
		if err != nil {
			return nil, err
		}
		name, err := r.take(l)
		if err != nil {
			return nil, err
		}
		kind, err := r.byte()
		if err != nil {
			return nil, err
		}
		if _, err := r.uleb(); err != nil {
			return nil, err
		}
		if kind == 0 {
			out[string(name)] = true
		}
	}
	return out, nil
}

type reader struct{ b []byte }

var errTruncated = errors.New("truncated module")

func (r *reader) byte() (byte, error) {
	if len(r.b) == 0 {
		return 0, errTruncated
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, nil
}

func (r *reader) uleb() (uint64, error) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		return 0, errTruncated
	}
	r.b = r.b[n:]
	return v, nil
}

func (r *reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)) {
		return nil, errTruncated
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b, nil
}
