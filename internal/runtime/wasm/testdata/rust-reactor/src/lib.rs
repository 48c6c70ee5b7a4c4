//! The secrets example's handler, whose faas_wasm_fn::reactor! exports
//! faas_handle (its main, for the example's command module, is unused here).

#[allow(dead_code)]
#[path = "../../../../../../sdk/rust/examples/secrets.rs"]
mod secrets;
