// Command linear-equations is the study's linear-equations function, served by the fn SDK: natively
// as an HTTP server on :8080, and under GOOS=wasip1 as a faas-wasm module
// (command shape by default, reactor shape with -buildmode=c-shared -tags
// faasreactor). The behaviour lives in package function.
package main

import (
	"github.com/faas-wasm/faas-wasm/fn"
	"github.com/faas-wasm/faas-wasm/functions/go/linear-equations/function"
)

func init() { fn.Register(function.Handle) }

func main() { fn.Start() }
