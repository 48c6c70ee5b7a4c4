// Command reactor is the test module of runtime/snapshot, built with
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared. Its state shows which
// initialisation ran before a snapshot was taken.
package main

var state int

func init() { state = 42 }

// faasHandle reports the state: 42 after _initialize, 43 after faas_init too.
//
//go:wasmexport faas_handle
func faasHandle() int32 { return int32(state) }

// faasInit is the init function Wizen prefers; Wizer runs it after _initialize.
//
//go:wasmexport faas_init
func faasInit() { state++ }

// failInit panics, for the failure test.
//
//go:wasmexport fail_init
func failInit() { panic("init failed on purpose") }

func main() {}
