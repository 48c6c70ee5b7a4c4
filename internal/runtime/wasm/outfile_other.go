//go:build !linux

package wasm

import (
	"errors"
	"os"
)

// memfdCreate is Linux-only; elsewhere output goes to temporary files.
func memfdCreate(string) (*os.File, error) {
	return nil, errors.New("memfd_create is only available on Linux")
}
