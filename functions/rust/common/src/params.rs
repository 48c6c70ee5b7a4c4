//! Query parameters and answers as `functions/internal/params` (Go) reads
//! and writes them: the same defaults, bounds checks and error texts, JSON
//! answers as `params.JSON` and error answers as Go's `http.Error`.
//!
//! Parameters come from [`Request::query_param`] (first value, decoded); an
//! absent or empty parameter means the default. Integers are parsed as Go's
//! `strconv.ParseInt` / `ParseUint` with base 10 parse them.

use crate::json::{self, Json};
use faas_wasm_fn::{Request, Response};
use std::fmt;

/// Seeds every function's randomness when the query has no `seed`.
pub const DEFAULT_SEED: u64 = 42;

/// A bad query parameter; its Display is the Go error text, e.g.
/// `bad query parameter: n="x" is not an integer`. Answered with 400.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError(String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad query parameter: {}", self.0)
    }
}

impl std::error::Error for ParamError {}

impl ParamError {
    /// The 400 answer Go's `params.Error` gives for this error.
    pub fn response(&self) -> Response {
        error_response(400, &self.to_string())
    }
}

/// Go's `strconv.ParseInt(s, 10, 64)`: optional `+`/`-`, ASCII digits, no
/// overflow.
pub fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let u = parse_uint(digits)?;
    if neg {
        if u > 1u64 << 63 {
            return None;
        }
        Some((u as i64).wrapping_neg())
    } else if u > i64::MAX as u64 {
        None
    } else {
        Some(u as i64)
    }
}

/// Go's `strconv.ParseUint(s, 10, 64)`: ASCII digits only, no sign, no
/// overflow.
pub fn parse_uint(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add((b - b'0') as u64)?;
    }
    Some(v)
}

/// Go's `params.Int`: query parameter `name` as an integer in [lo, hi], or
/// `def` when absent or empty.
///
/// # Errors
/// `name="v" is not an integer`, or `name=v is outside [lo, hi]`.
pub fn query_int(req: &Request, name: &str, def: i64, lo: i64, hi: i64) -> Result<i64, ParamError> {
    let s = match req.query_param(name) {
        Some(s) if !s.is_empty() => s,
        _ => return Ok(def),
    };
    let v = parse_int(&s)
        .ok_or_else(|| ParamError(format!("{}={} is not an integer", name, go_quote(&s))))?;
    if v < lo || v > hi {
        return Err(ParamError(format!(
            "{}={} is outside [{}, {}]",
            name, v, lo, hi
        )));
    }
    Ok(v)
}

/// Go's `params.Seed`: query parameter `seed` as an unsigned integer, or
/// [`DEFAULT_SEED`].
///
/// # Errors
/// `seed="v" is not an unsigned integer`.
pub fn seed(req: &Request) -> Result<u64, ParamError> {
    match req.query_param("seed") {
        Some(s) if !s.is_empty() => parse_uint(&s)
            .ok_or_else(|| ParamError(format!("seed={} is not an unsigned integer", go_quote(&s)))),
        _ => Ok(DEFAULT_SEED),
    }
}

/// Go's `params.JSON`: v as indented JSON plus a newline, 200,
/// `application/json`; a value Go cannot encode (NaN, ±Inf) gives Go's 500
/// `encode response: json: unsupported value: NaN`.
pub fn json_response(v: &Json) -> Response {
    match json::marshal_indent(v) {
        Ok(mut s) => {
            s.push('\n');
            Response::new(200, "application/json", s)
        }
        Err(e) => error_response(500, &format!("encode response: {}", e)),
    }
}

/// Go's `http.Error(w, msg, status)`: msg plus a newline as
/// `text/plain; charset=utf-8`, with `X-Content-Type-Options: nosniff`.
pub fn error_response(status: u16, msg: &str) -> Response {
    Response::new(status, "text/plain; charset=utf-8", format!("{}\n", msg))
        .with_header("X-Content-Type-Options", "nosniff")
}

/// A `GET /?query` request, for tests.
pub fn get_request(query: &str) -> Request {
    Request {
        method: "GET".into(),
        path: "/".into(),
        query: query.into(),
        ..Request::default()
    }
}

/// Go's `strconv.Quote` (what `%q` prints for a string): printable
/// characters as they are, `\a \b \f \n \r \t \v`, other ASCII controls as
/// `\xXX`, other non-printable characters as `\uXXXX` / `\UXXXXXXXX`.
///
/// Go's printability test is Unicode's L, M, N, P, S categories plus the
/// ASCII space; this port knows the non-ASCII exceptions that text is
/// likely to contain (C0/C1 controls, format characters, separators other
/// than U+0020, private use, noncharacters) and treats any other character
/// as printable, so a string of unassigned code points may differ.
pub fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !printable(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn printable(c: char) -> bool {
    let u = c as u32;
    if u < 0x7f {
        return u >= 0x20;
    }
    !matches!(u,
        0x7f..=0xa0 | 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x1680 | 0x180e
        | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064 | 0x2066..=0x206f | 0x3000
        | 0xd800..=0xf8ff | 0xfdd0..=0xfdef | 0xfeff | 0xfff9..=0xfffb | 0xfffe | 0xffff
        | 0xe0001 | 0xe0020..=0xe007f | 0xf0000..=0x10ffff)
        && (u & 0xfffe) != 0xfffe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response) -> &str {
        std::str::from_utf8(&r.body).unwrap()
    }

    #[test]
    fn int_like_go() {
        let cases: &[(&str, Result<i64, &str>)] = &[
            ("", Ok(7)),
            ("n=", Ok(7)),
            ("n=100", Ok(100)),
            ("n=%2B100", Ok(100)),
            (
                "n=+100",
                Err("bad query parameter: n=\" 100\" is not an integer"),
            ),
            ("n=0100", Ok(100)),
            ("n=0", Err("bad query parameter: n=0 is outside [1, 1000]")),
            (
                "n=1001",
                Err("bad query parameter: n=1001 is outside [1, 1000]"),
            ),
            (
                "n=-9223372036854775808",
                Err("bad query parameter: n=-9223372036854775808 is outside [1, 1000]"),
            ),
            (
                "n=9223372036854775808",
                Err("bad query parameter: n=\"9223372036854775808\" is not an integer"),
            ),
            (
                "n=ten",
                Err("bad query parameter: n=\"ten\" is not an integer"),
            ),
            (
                "n=1_0",
                Err("bad query parameter: n=\"1_0\" is not an integer"),
            ),
            (
                "n=%22x%0A",
                Err("bad query parameter: n=\"\\\"x\\n\" is not an integer"),
            ),
            ("n=+", Err("bad query parameter: n=\" \" is not an integer")),
            (
                "n=%C2%A0",
                Err("bad query parameter: n=\"\\u00a0\" is not an integer"),
            ),
            (
                "n=%E2%80%A8",
                Err("bad query parameter: n=\"\\u2028\" is not an integer"),
            ),
            (
                "n=1.5",
                Err("bad query parameter: n=\"1.5\" is not an integer"),
            ),
        ];
        for (q, want) in cases {
            let got = query_int(&get_request(q), "n", 7, 1, 1000).map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(String::from), "query {}", q);
        }
    }

    #[test]
    fn seed_like_go() {
        assert_eq!(seed(&get_request("")), Ok(DEFAULT_SEED));
        assert_eq!(seed(&get_request("seed=9")), Ok(9));
        assert_eq!(
            seed(&get_request("seed=18446744073709551615")),
            Ok(u64::MAX)
        );
        // Texts from Go's params.Seed.
        for (q, v) in [
            ("seed=-1", "-1"),
            ("seed=+1", " 1"),
            ("seed=%2B1", "+1"),
            ("seed=18446744073709551616", "18446744073709551616"),
            ("seed=x", "x"),
        ] {
            let e = seed(&get_request(q)).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "bad query parameter: seed=\"{}\" is not an unsigned integer",
                    v
                )
            );
        }
    }

    #[test]
    fn responses() {
        let r = json_response(&Json::object(vec![("n", Json::Int(1))]));
        assert_eq!(r.status, 200);
        assert_eq!(body(&r), "{\n  \"n\": 1\n}\n");
        let r = json_response(&Json::Float(f64::INFINITY));
        assert_eq!(r.status, 500);
        assert_eq!(body(&r), "encode response: json: unsupported value: +Inf\n");
        let r = ParamError("x".into()).response();
        assert_eq!((r.status, body(&r)), (400, "bad query parameter: x\n"));
        assert!(r
            .headers
            .iter()
            .any(|(k, v)| k == "Content-Type" && v == "text/plain; charset=utf-8"));
    }
}
