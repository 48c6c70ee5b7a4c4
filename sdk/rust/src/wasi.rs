//! The Wasm command form: one request per instance, CGI in, CGI out.

use crate::{cgi, dispatch, Handler, Request};
use std::fs::File;
use std::io::{Read, Write};
use std::mem::ManuallyDrop;
use std::os::wasi::io::FromRawFd;
use std::time::Instant;

pub(crate) fn run(handler: Handler) {
    let start = Instant::now();
    let vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| (k.to_string_lossy().into_owned(), v.to_string_lossy().into_owned()))
        .collect();
    let mut body = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut body) {
        fail(&format!("read body: {}", e));
    }
    let req = match cgi::request_from_cgi(&vars, body) {
        Ok(r) => r,
        Err(e) => fail(&e),
    };
    if let Err(e) = respond(handler, &req, start) {
        fail(&format!("write response: {}", e));
    }
}

/// Answers `req` (the handler, or `/_/health`) and writes the CGI response
/// to stdout; `start` is when the request began. The command form's and
/// the reactor's last step.
pub(crate) fn respond(handler: Handler, req: &Request, start: Instant) -> std::io::Result<()> {
    let resp = match dispatch::health(req, false) {
        Some(r) => r,
        None => handler(req),
    };
    let out = cgi::write_cgi(&dispatch::finish(resp, start));
    // Straight to fd 1, not through std's line-buffered stdout, which would
    // write up to the last newline and then the rest: two fd_write calls
    // where one will do. What the handler printed goes first (flushing an
    // empty buffer writes nothing). ManuallyDrop: the file must not close
    // stdout.
    let mut stdout = ManuallyDrop::new(unsafe { File::from_raw_fd(1) });
    std::io::stdout().flush().and_then(|_| stdout.write_all(&out))
}

fn fail(msg: &str) -> ! {
    eprintln!("faas_wasm_fn::run: {}", msg);
    std::process::exit(1)
}
