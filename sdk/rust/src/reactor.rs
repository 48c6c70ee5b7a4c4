//! The Wasm reactor form: one `faas_handle` call per request, the request in
//! the stdin envelope of docs/abi.md, the response on stdout as CGI. Exported
//! by the [`crate::reactor!`] macro; an instance may serve many calls (warm
//! mode), so nothing here keeps state between them.

use crate::{cgi, wasi, Handler};
use std::io::Read;
use std::time::Instant;

/// Serves the request of one `faas_handle` call. Returns 0 on success and 1
/// (the host answers 500) when the envelope cannot be read or parsed or the
/// response cannot be written. A panicking handler traps, as in the command
/// form: the host answers 500 and discards the instance.
pub fn call(handler: Handler) -> i32 {
    let start = Instant::now();
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        return fail(&format!("read envelope: {}", e));
    }
    let req = match cgi::parse_envelope(input).and_then(|(vars, body)| cgi::request_from_cgi(&vars, body)) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    if let Err(e) = wasi::respond(handler, &req, start) {
        return fail(&format!("write response: {}", e));
    }
    0
}

fn fail(msg: &str) -> i32 {
    eprintln!("faas_wasm_fn::reactor: {}", msg);
    1
}
