package wasm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// outputFile receives a guest's stdout or stderr. wasmtime opens it again by
// path, truncating it, for every call; the host reads it through f.
type outputFile struct {
	f    *os.File
	path string
	temp bool // a named temporary file, removed by close
}

// newOutputFile returns a memfd reached through /proc/self/fd (no disk, no
// name), or, when memfd is false or memfds or /proc are unavailable, a
// temporary file.
func newOutputFile(name string, memfd bool) (*outputFile, error) {
	if memfd {
		if f, err := memfdCreate(name); err == nil {
			path := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
			if _, err := os.Stat(path); err == nil {
				return &outputFile{f: f, path: path}, nil
			}
			f.Close()
		}
	}
	f, err := os.CreateTemp("", "faas-wasm-"+name+"-*")
	if err != nil {
		return nil, fmt.Errorf("output file: %w", err)
	}
	return &outputFile{f: f, path: f.Name(), temp: true}, nil
}

func (o *outputFile) close() {
	o.f.Close()
	if o.temp {
		os.Remove(o.path)
	}
}

// contents returns what the file holds, or overflow when that is more than
// limit bytes. buf is scratch space: contents shorter than buf take one read
// and no stat.
func (o *outputFile) contents(buf []byte, limit int64) (b []byte, overflow bool, err error) {
	m, err := o.pread(buf, 0)
	if err != nil {
		return nil, false, err
	}
	if m < len(buf) {
		if int64(m) > limit {
			return nil, true, nil
		}
		return bytes.Clone(buf[:m]), false, nil
	}
	n, err := o.size()
	if err != nil {
		return nil, false, err
	}
	if n > limit {
		return nil, true, nil
	}
	b, err = o.readAt(0, n)
	return b, false, err
}

// readAt reads n bytes from off.
func (o *outputFile) readAt(off, n int64) ([]byte, error) {
	b := make([]byte, n)
	m, err := o.f.ReadAt(b, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:m], nil
}
