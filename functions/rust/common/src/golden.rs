//! Golden answers recorded from a function's Go version, for the Rust
//! version's tests. The format is that of `functions/internal/golden`: a
//! sequence of cases, each a header line `=== STATUS QUERY` (QUERY raw,
//! possibly empty) followed by the answer's body exactly (ending with a
//! newline; no body line starts with `=== `).

use crate::params::get_request;
use faas_wasm_fn::{Request, Response};

/// One recorded request and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The raw query string, without `?`.
    pub query: String,
    /// The HTTP status of the answer.
    pub status: u16,
    /// The answer's body, byte for byte.
    pub body: String,
}

/// Parses the text of a golden file.
///
/// # Panics
/// On a malformed file (a body before the first header, a bad status): it
/// is test data.
pub fn parse(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(h) = line.strip_prefix("=== ") {
            let h = h.strip_suffix('\n').unwrap_or(h);
            let (status, query) = h.split_once(' ').unwrap_or((h, ""));
            cases.push(Case {
                query: query.to_string(),
                status: status.parse().expect("golden: status"),
                body: String::new(),
            });
        } else {
            cases
                .last_mut()
                .expect("golden: body before the first header")
                .body
                .push_str(line);
        }
    }
    cases
}

/// Sends `GET /?QUERY` of every case to handler and asserts the status, the
/// body, and the Content-Type Go's answer has (`application/json` for 200,
/// `text/plain; charset=utf-8` otherwise). Returns the number of cases.
///
/// # Panics
/// On the first difference, naming the query.
pub fn check(text: &str, handler: fn(&Request) -> Response) -> usize {
    let cases = parse(text);
    for c in &cases {
        let r = handler(&get_request(&c.query));
        let body = String::from_utf8_lossy(&r.body);
        assert_eq!(
            (r.status, body.as_ref()),
            (c.status, c.body.as_str()),
            "query {:?}",
            c.query
        );
        let ct = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            .map(|(_, v)| v.as_str());
        let want = if c.status == 200 {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        };
        assert_eq!(ct, Some(want), "query {:?}", c.query);
    }
    cases.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let got = parse("=== 200 n=1\n{\n  \"n\": 1\n}\n=== 400 \nbad\n");
        assert_eq!(
            got,
            vec![
                Case {
                    query: "n=1".into(),
                    status: 200,
                    body: "{\n  \"n\": 1\n}\n".into()
                },
                Case {
                    query: "".into(),
                    status: 400,
                    body: "bad\n".into()
                },
            ]
        );
    }
}
