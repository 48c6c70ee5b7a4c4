//! echo: answers with the request it saw. `?sleep_ms=N` waits N ms first (for
//! drain tests); `?fetch=URL` answers with the status and body of a GET to URL
//! (outbound HTTP through faas_http in Wasm).
//!
//!   /usr/bin/cargo build --release --example echo --target wasm32-wasi
//!   /usr/bin/cargo build --release --example echo

use faas_wasm_fn::{http, Request, Response};

fn handle(req: &Request) -> Response {
    if let Some(ms) = req.query_param("sleep_ms").and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    if let Some(url) = req.query_param("fetch") {
        return match http::get(&url) {
            Ok(r) => Response::new(200, "text/plain; charset=utf-8", format!("{} {}", r.status, String::from_utf8_lossy(&r.body))),
            Err(e) => Response::new(502, "text/plain; charset=utf-8", format!("fetch failed: {}\n", e)),
        };
    }
    if req.path == "/panic" {
        panic!("asked to panic");
    }
    let mut out = format!("{} {}", req.method, req.path);
    if !req.query.is_empty() {
        out.push('?');
        out.push_str(&req.query);
    }
    out.push('\n');
    for (k, v) in &req.headers {
        out.push_str(&format!("{}: {}\n", k, v));
    }
    if let Some(g) = faas_wasm_fn::env("greeting") {
        out.push_str(&format!("greeting={}\n", g));
    }
    out.push('\n');
    let mut body = out.into_bytes();
    body.extend_from_slice(&req.body);
    Response::new(200, "text/plain; charset=utf-8", body).with_header("X-Echo", "1")
}

fn main() {
    faas_wasm_fn::run(handle);
}
