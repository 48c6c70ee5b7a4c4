//! The first value of a query parameter as Go's `r.URL.Query().Get(key)`
//! returns it, as bytes: pairs split at `&`, a pair holding `;` or a bad
//! `%` escape skipped, `+` decoded as a space, no UTF-8 repair (Go keeps the
//! raw bytes; [`valid_utf8`] then repairs them as Go's decoder does).
//! Written here because the SDK's `query_param` repairs invalid UTF-8 the
//! way Rust does (one U+FFFD per maximal bad sequence), which differs from
//! Go's one-per-byte.

/// Go's `url.Values.Get(key)` of `url.ParseQuery(raw)`; `None` when absent.
pub fn get(raw: &str, key: &str) -> Option<Vec<u8>> {
    for pair in raw.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match (unescape(k), unescape(v)) {
            (Some(k), Some(v)) if k == key.as_bytes() => return Some(v),
            _ => {}
        }
    }
    None
}

/// Go's `url.QueryUnescape`.
fn unescape(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hi = hex(*b.get(i + 1)?)?;
                let lo = hex(*b.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The text Go's decoder sees in b: every byte that does not start a valid
/// UTF-8 sequence becomes U+FFFD (one per byte, as `for range` and
/// `encoding/json` do).
pub fn valid_utf8(mut b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len());
    loop {
        match std::str::from_utf8(b) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let n = e.valid_up_to();
                out.push_str(std::str::from_utf8(&b[..n]).unwrap_or_default());
                out.push('\u{FFFD}');
                b = &b[n + 1..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_query() {
        assert_eq!(get("search=a+b&search=c", "search"), Some(b"a b".to_vec()));
        assert_eq!(get("search=%zz&search=ok", "search"), Some(b"ok".to_vec()));
        assert_eq!(get("a=1;search=x&search=y", "search"), Some(b"y".to_vec()));
        assert_eq!(get("search", "search"), Some(vec![]));
        assert_eq!(get("%73earch=v", "search"), Some(b"v".to_vec()));
        assert_eq!(get("other=1", "search"), None);
        assert_eq!(get("s=%E2%82A", "s"), Some(vec![0xE2, 0x82, b'A']));
    }

    #[test]
    fn repair_per_byte() {
        assert_eq!(valid_utf8(&[0xE2, 0x82, b'A']), "\u{FFFD}\u{FFFD}A");
        assert_eq!(valid_utf8(&[0xFF, b'a', 0xC3, 0xA9]), "\u{FFFD}aé");
        assert_eq!(valid_utf8(&[0xED, 0xA0, 0x80]), "\u{FFFD}\u{FFFD}\u{FFFD}");
    }
}
