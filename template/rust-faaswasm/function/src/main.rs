//! Hands the function's handler to the faas-wasm-fn SDK: a WASI command module for
//! --target wasm32-wasi, a native HTTP server on :8080 otherwise.

fn main() {
    faas_wasm_fn::run(handler::handle)
}
