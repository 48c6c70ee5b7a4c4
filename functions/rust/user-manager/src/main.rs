//! The user-manager function: the handler of the library, built by the faas-wasm-fn SDK as a WASI
//! command module (wasm32-wasi) or a native HTTP server.

fn main() {
    faas_wasm_fn::run(user_manager::handle)
}
