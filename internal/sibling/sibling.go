// Package sibling finds a companion program of the running executable: the
// file of that name in the executable's own directory (so bin/faas-wasm
// finds bin/faas-wasm-tools whatever PATH says), else the first one on PATH.
// It does not run the program.
package sibling

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrNotFound is wrapped when the program is neither beside the executable
// nor on PATH.
var ErrNotFound = errors.New("program not found")

// Find returns the path of the program name: beside the running executable
// when a regular file of that name is there, else on PATH.
//
// # Errors
//
// ErrNotFound, wrapped with the name, when it is in neither place.
func Find(name string) (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s beside %s or on PATH: %w", name, executableName(), ErrNotFound)
	}
	return p, nil
}

// executableName is the running program's base name, for messages.
func executableName() string {
	self, err := os.Executable()
	if err != nil {
		return "this program"
	}
	return filepath.Base(self)
}
