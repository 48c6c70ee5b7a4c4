module github.com/faas-wasm/faas-wasm/fn

go 1.24
