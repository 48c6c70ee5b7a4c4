//! Small pure helpers: URL decoding, header names, durations, status texts.

use std::time::Duration;

/// Decodes `+` as a space and `%XX` as a byte; a bad escape stays literal.
pub(crate) fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push(h << 4 | l);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The first value of `key` in the raw query `q`, decoded.
pub(crate) fn query_param(q: &str, key: &str) -> Option<String> {
    for pair in q.split(|c| c == '&' || c == ';') {
        if pair.is_empty() {
            continue;
        }
        let (k, v) = match pair.find('=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, ""),
        };
        if url_decode(k) == key {
            return Some(url_decode(v));
        }
    }
    None
}

/// Canonical MIME header key, like Go's http.CanonicalHeaderKey:
/// `x-call-id` → `X-Call-Id`.
pub(crate) fn canonical_header(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = true;
    for c in name.chars() {
        if upper {
            out.push(c.to_ascii_uppercase());
        } else {
            out.push(c.to_ascii_lowercase());
        }
        upper = c == '-';
    }
    out
}

/// Parses a Go duration (`1h2m3.5s`, `300ms`, `10us`) or a plain number of
/// seconds. Returns None for anything else or a non-positive value.
#[cfg_attr(target_os = "wasi", allow(dead_code))]
pub(crate) fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(secs) = s.parse::<f64>() {
        return if secs > 0.0 && secs.is_finite() { Some(Duration::from_secs_f64(secs)) } else { None };
    }
    let mut total = 0f64;
    let mut rest = s;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_end == 0 {
            return None;
        }
        let n: f64 = rest[..num_end].parse().ok()?;
        rest = &rest[num_end..];
        let unit_end = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_end] {
            "ns" => 1e-9,
            "us" | "µs" | "μs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_end..];
    }
    if total > 0.0 && total.is_finite() {
        Some(Duration::from_secs_f64(total))
    } else {
        None
    }
}

/// Reads a duration from env var `name`, or `def`.
#[cfg(not(target_os = "wasi"))]
pub(crate) fn env_duration(name: &str, def: Duration) -> Duration {
    std::env::var(name).ok().and_then(|v| parse_duration(&v)).unwrap_or(def)
}

/// Reason phrase of the common status codes, "" for others.
#[cfg_attr(not(target_os = "wasi"), allow(dead_code))]
pub(crate) fn status_text(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A Content-Type for a body whose handler set none: text when it is UTF-8
/// without control bytes other than whitespace, else octet-stream.
pub(crate) fn sniff_content_type(body: &[u8]) -> &'static str {
    match std::str::from_utf8(body) {
        Ok(s) if !s.bytes().any(|c| c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r' | 0x0c)) => {
            "text/plain; charset=utf-8"
        }
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode() {
        for (in_, want) in [
            ("a+b", "a b"),
            ("%41%62c", "Abc"),
            ("%e2%82%ac", "€"),
            ("100%", "100%"),
            ("%4", "%4"),
            ("%zz", "%zz"),
            ("", ""),
        ] {
            assert_eq!(url_decode(in_), want, "{}", in_);
        }
    }

    #[test]
    fn query() {
        let q = "a=1&b=x+y&a=2&c&d=%26&e%20f=g";
        assert_eq!(query_param(q, "a").as_deref(), Some("1"));
        assert_eq!(query_param(q, "b").as_deref(), Some("x y"));
        assert_eq!(query_param(q, "c").as_deref(), Some(""));
        assert_eq!(query_param(q, "d").as_deref(), Some("&"));
        assert_eq!(query_param(q, "e f").as_deref(), Some("g"));
        assert_eq!(query_param(q, "z"), None);
        assert_eq!(query_param("", "a"), None);
    }

    #[test]
    fn headers() {
        assert_eq!(canonical_header("x-call-id"), "X-Call-Id");
        assert_eq!(canonical_header("CONTENT-TYPE"), "Content-Type");
        assert_eq!(canonical_header("host"), "Host");
    }

    #[test]
    fn durations() {
        let ms = Duration::from_millis;
        assert_eq!(parse_duration("30s"), Some(ms(30_000)));
        assert_eq!(parse_duration("1m30s"), Some(ms(90_000)));
        assert_eq!(parse_duration("500ms"), Some(ms(500)));
        assert_eq!(parse_duration("2.5"), Some(ms(2_500)));
        assert_eq!(parse_duration("1h"), Some(ms(3_600_000)));
        assert_eq!(parse_duration("0"), None);
        assert_eq!(parse_duration("-1s"), None);
        assert_eq!(parse_duration("5x"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn sniff() {
        assert_eq!(sniff_content_type(b"hello\n"), "text/plain; charset=utf-8");
        assert_eq!(sniff_content_type(&[0, 1, 2]), "application/octet-stream");
        assert_eq!(sniff_content_type(&[0xff]), "application/octet-stream");
    }
}
