//go:build !linux

package wasm

import (
	"errors"
	"io"
	"os"
)

// memfdCreate is Linux-only; elsewhere output goes to temporary files.
func memfdCreate(string) (*os.File, error) {
	return nil, errors.New("memfd_create is only available on Linux")
}

// size returns the file's size.
func (o *outputFile) size() (int64, error) {
	fi, err := o.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// pread reads into b from off.
func (o *outputFile) pread(b []byte, off int64) (int, error) {
	n, err := o.f.ReadAt(b, off)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return n, err
}
