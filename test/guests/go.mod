module github.com/faas-wasm/faas-wasm/test/guests

go 1.24

require github.com/faas-wasm/faas-wasm/fn v0.0.0

replace github.com/faas-wasm/faas-wasm/fn => ../../fn
