// Command handler serves function.Handle through the fn SDK: natively as an
// HTTP server on :8080 (container image), and under GOOS=wasip1 as a
// faas-wasm module. Build both with: faas-wasm build -f STACK.yml
package main

import (
	"github.com/faas-wasm/faas-wasm/fn"

	"handler/function"
)

// Registration happens in init: a reactor module (-buildmode=c-shared)
// never runs main.main.
func init() { fn.Register(function.Handle) }

func main() { fn.Start() }
