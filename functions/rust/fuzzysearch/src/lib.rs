//! The study's fuzzysearch function: fetch the text of Hamlet from env
//! `HAMLET_URL` with the SDK's HTTP client (`faas_http` in Wasm, so the
//! URL's host must be in `com.openfaas.wasm.allowed-hosts`), fuzzy-search its
//! lines for query `search` (default `Hamlet`) and answer what
//! functions/go/fuzzysearch answers, byte for byte. The text is fetched on
//! every call, as in the study.

pub mod search;

use common::{error_response, json_response, Json};
use faas_wasm_fn::{http, Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// Bounds the fetched text (the complete play is about 190 KB).
const MAX_TEXT: usize = 16 << 20;

/// The function's handler.
pub fn handle(req: &Request) -> Response {
    let q = common::goquery::get(&req.query, "search").unwrap_or_default();
    let needle = if q.is_empty() { "Hamlet".to_string() } else { common::goquery::valid_utf8(&q) };
    let text = match fetch(faas_wasm_fn::env("HAMLET_URL").unwrap_or_default().as_str()) {
        Ok(t) => t,
        Err(e) => return error_response(502, &e),
    };
    let found = search::search(&needle, &text);
    let best = found.best.into_iter().map(|m| {
        Json::object(vec![("line", m.line.into()), ("text", m.text.into()), ("distance", m.distance.into())])
    });
    json_response(&Json::object(vec![
        ("search", needle.into()),
        ("lines", found.lines.into()),
        ("matches", found.matches.into()),
        ("best", Json::Array(best.collect())),
    ]))
}

fn fetch(url: &str) -> Result<Vec<u8>, String> {
    if url.is_empty() {
        return Err("env HAMLET_URL is not set".into());
    }
    let mut resp = http::get(url).map_err(|e| format!("fetch text: {}", e))?;
    if resp.status != 200 {
        return Err(format!("fetch text: {} answered {} {}", url, resp.status, status_text(resp.status)));
    }
    resp.body.truncate(MAX_TEXT);
    Ok(resp.body)
}

/// Go's `http.StatusText` for the statuses a text server answers with.
fn status_text(code: u16) -> &'static str {
    match code {
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}
