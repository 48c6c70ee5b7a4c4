//! The study's whatlang function: the language of query `text` (or of the
//! body, at most 1 MiB, when `text` is absent or empty) by the project's
//! trigram detector ([`trigram`]), answered as functions/go/whatlang answers,
//! byte for byte: language, code (ISO 639-3), script, confidence (a string
//! with four decimals) and reliable.

pub mod trigram;

use common::{error_response, json_response, Json};
use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// Bounds the text read from a request body.
const MAX_BODY: usize = 1 << 20;

/// The function's handler.
pub fn handle(req: &Request) -> Response {
    let mut text = common::goquery::get(&req.query, "text").unwrap_or_default();
    if text.is_empty() {
        text = req.body[..req.body.len().min(MAX_BODY)].to_vec();
    }
    if text.is_empty() {
        return error_response(400, "bad query parameter: text is empty");
    }
    let d = trigram::detect(&common::goquery::valid_utf8(&text));
    json_response(&Json::object(vec![
        ("language", d.name.into()),
        ("code", d.code.into()),
        ("script", d.script.into()),
        ("confidence", format!("{}.{:04}", d.confidence / 10000, d.confidence % 10000).into()),
        ("reliable", (d.confidence > trigram::RELIABLE).into()),
    ]))
}
