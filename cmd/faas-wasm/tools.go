package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/faas-wasm/faas-wasm/internal/sibling"
)

// toolsBinary is the companion program that carries the developer verbs, so
// that the provider links none of their code (builder, benchmark, registry).
const toolsBinary = "faas-wasm-tools"

// toolVerbs are the verbs faas-wasm hands to toolsBinary.
var toolVerbs = map[string]bool{"build": true, "bench": true, "registry": true, "new": true, "keygen": true}

// execTools replaces this process with toolsBinary running verb with args; it
// returns only on failure.
func execTools(verb string, args []string) error {
	bin, err := sibling.Find(toolsBinary)
	if err != nil {
		return fmt.Errorf("faas-wasm %s: %w (make build puts it in bin/)", verb, err)
	}
	argv := append([]string{bin, verb}, args...)
	if err := syscall.Exec(bin, argv, os.Environ()); err != nil {
		return fmt.Errorf("faas-wasm %s: exec %s: %w", verb, bin, err)
	}
	return nil
}
