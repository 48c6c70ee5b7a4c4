//go:build wasip1

package fn

import (
	"fmt"
	"os"
	"strings"
)

// Start runs the handler given to [Register] once, as a command module of
// the faas-wasm ABI: the request comes from the CGI variables in the
// environment and the body from stdin, and the response goes to stdout as a
// CGI header block and the body. It exits with status 1 (the host answers
// 500) when no handler is registered or the request cannot be read.
func Start() {
	h := registeredHandler()
	if h == nil {
		fmt.Fprintln(os.Stderr, "fn.Start: no handler registered; call fn.Register from an init function")
		os.Exit(1)
	}
	env := os.Environ()
	names := make([]string, 0, len(env))
	for _, kv := range env {
		if k, _, ok := strings.Cut(kv, "="); ok {
			names = append(names, k)
		}
	}
	if err := serveCGI(h, names, os.LookupEnv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "fn.Start: %v\n", err)
		os.Exit(1)
	}
}
