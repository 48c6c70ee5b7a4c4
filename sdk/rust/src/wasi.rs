//! The Wasm command form: one request per instance, CGI in, CGI out.

use crate::{cgi, dispatch, Handler};
use std::io::{Read, Write};
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
    let resp = match dispatch::health(&req, false) {
        Some(r) => r,
        None => handler(&req),
    };
    let out = cgi::write_cgi(&dispatch::finish(resp, start));
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(&out).and_then(|_| stdout.flush()) {
        fail(&format!("write response: {}", e));
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("faas_wasm_fn::run: {}", msg);
    std::process::exit(1)
}
