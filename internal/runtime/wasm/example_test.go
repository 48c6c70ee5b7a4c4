package wasm_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// A WASI command that answers with a CGI header block and a body.
const helloWAT = `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "Status: 201\n\nhello")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 18))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))`

func Example() {
	cache, err := os.MkdirTemp("", "wasm-cache-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(cache)
	engine, err := wasm.NewEngine(cache, wasm.WithPoolSize(4))
	if err != nil {
		log.Fatal(err)
	}
	defer engine.Close()

	module, err := wasmtime.Wat2Wasm(helloWAT)
	if err != nil {
		log.Fatal(err)
	}
	// Compile at deploy time: later calls load the AOT cache.
	m, err := engine.Compile(context.Background(), module)
	if err != nil {
		log.Fatal(err)
	}
	fn, err := engine.NewFunction(m, wasm.Config{Name: "hello", Namespace: "openfaas-fn"})
	if err != nil {
		log.Fatal(err)
	}
	defer fn.Close()

	resp, err := fn.Invoke(context.Background(), &wasm.Request{Method: "GET", Path: "/"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.Shape(), resp.Status, resp.Header.Get("Content-Type"), string(resp.Body))
	// Output: command 201 text/plain; charset=utf-8 hello
}
