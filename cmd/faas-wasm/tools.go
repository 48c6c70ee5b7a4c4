package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
)

// toolsBinary is the companion program that carries the developer verbs, so
// that the provider links none of their code (builder, benchmark, registry).
const toolsBinary = "faas-wasm-tools"

// toolVerbs are the verbs faas-wasm hands to toolsBinary.
var toolVerbs = map[string]bool{"build": true, "bench": true, "registry": true, "new": true, "keygen": true}

// errNoTools is wrapped when toolsBinary is neither beside this program nor
// on PATH.
var errNoTools = errors.New(toolsBinary + " not found")

// findTools returns toolsBinary beside the running executable, else on PATH.
func findTools() (string, error) {
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), toolsBinary)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(toolsBinary)
	if err != nil {
		return "", fmt.Errorf("%w beside faas-wasm or on PATH (make build puts it in bin/)", errNoTools)
	}
	return p, nil
}

// execTools replaces this process with toolsBinary running verb with args; it
// returns only on failure.
func execTools(verb string, args []string) error {
	bin, err := findTools()
	if err != nil {
		return fmt.Errorf("faas-wasm %s: %w", verb, err)
	}
	argv := append([]string{bin, verb}, args...)
	if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
		return fmt.Errorf("faas-wasm %s: exec %s: %w", verb, bin, err)
	}
	return nil
}
