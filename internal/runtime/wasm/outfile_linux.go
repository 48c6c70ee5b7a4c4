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

// size returns the file's size.
func (o *outputFile) size() (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(o.f.Fd()), &st); err != nil {
		return 0, err
	}
	return st.Size, nil
}

// pread reads into b from off with one system call (os.File.ReadAt makes a
// second one to see the end of the file when b is not filled).
func (o *outputFile) pread(b []byte, off int64) (int, error) {
	return unix.Pread(int(o.f.Fd()), b, off)
}
