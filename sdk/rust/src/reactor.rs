//! The Wasm reactor form: one `faas_handle` call per request, the request in
//! the stdin envelope of docs/abi.md, the response on stdout as CGI. Exported
//! by the [`crate::reactor!`] macro; an instance may serve many calls (warm
//! mode), so nothing here keeps state between them.

use crate::{cgi, dispatch, Handler};
use std::fs::File;
use std::io::{Read, Write};
use std::mem::ManuallyDrop;
use std::os::wasi::io::FromRawFd;
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
    let resp = match dispatch::health(&req, false) {
        Some(r) => r,
        None => handler(&req),
    };
    let out = cgi::write_cgi(&dispatch::finish(resp, start));
    // As in the command form: what the handler printed first, then the
    // response in one fd_write; the file must not close stdout.
    let mut stdout = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
    if let Err(e) = std::io::stdout().flush().and_then(|_| stdout.write_all(&out)) {
        return fail(&format!("write response: {}", e));
    }
    0
}

fn fail(msg: &str) -> i32 {
    eprintln!("faas_wasm_fn::reactor: {}", msg);
    1
}
