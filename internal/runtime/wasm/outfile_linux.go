package wasm

import (
	"os"

	"golang.org/x/sys/unix"
)

// memfdCreate returns an anonymous in-memory file.
func memfdCreate(name string) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return os.NewFile(uintptr(fd), name), nil
}
