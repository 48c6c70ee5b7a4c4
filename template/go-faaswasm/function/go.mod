module handler

go 1.24

require github.com/faas-wasm/faas-wasm/fn v0.0.0

// The fn SDK from a faas-wasm checkout (it is not published as a module).
replace github.com/faas-wasm/faas-wasm/fn => ../fn
