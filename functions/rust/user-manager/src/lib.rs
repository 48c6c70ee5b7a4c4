//! The study's user-manager function: generate query `entries` (default 1,
//! at most 1000) fake users from query `seed` (default 42) by the rule of
//! functions/internal/fakeuser (the same word lists, a generated copy,
//! and the same SplitMix64 draws), POST each as JSON to env `USER_API_URL`
//! with the SDK's HTTP client (`faas_http` in Wasm: the host must be in
//! `com.openfaas.wasm.allowed-hosts`), and answer what
//! functions/go/user-manager answers, byte for byte.

pub mod fakeuser;

use common::{error_response, json_response, query_int, seed, Json};
use faas_wasm_fn::{http, Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// The function's handler.
pub fn handle(req: &Request) -> Response {
    let n = match query_int(req, "entries", 1, 1, 1000) {
        Ok(n) => n,
        Err(e) => return e.response(),
    };
    let seed = match seed(req) {
        Ok(s) => s,
        Err(e) => return e.response(),
    };
    let url = faas_wasm_fn::env("USER_API_URL").unwrap_or_default();
    if url.is_empty() {
        return error_response(500, "env USER_API_URL is not set");
    }
    let users = fakeuser::generate(seed, n as usize);
    let mut stored = 0usize;
    for (i, u) in users.iter().enumerate() {
        if let Err(e) = store(&url, u) {
            return error_response(502, &format!("store user {}: {}", i, e));
        }
        stored += 1;
    }
    json_response(&Json::object(vec![
        ("entries", n.into()),
        ("stored", stored.into()),
        ("users", Json::Array(users.iter().map(|u| Json::object(u.fields())).collect())),
    ]))
}

/// POSTs u as JSON (what Go's json.Marshal writes) and accepts 201 or 200.
fn store(url: &str, u: &fakeuser::User) -> Result<(), String> {
    let resp = http::request("POST", url, &[("Content-Type", "application/json")], u.to_json().as_bytes())
        .map_err(|e| format!("post {}: {}", url, e))?;
    if resp.status != 201 && resp.status != 200 {
        return Err(format!("post {}: answered {} {}", url, resp.status, status_text(resp.status)));
    }
    Ok(())
}

/// Go's `http.StatusText` for the statuses a store answers with.
fn status_text(code: u16) -> &'static str {
    match code {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
