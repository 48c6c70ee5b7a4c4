//! Outbound HTTP/1.1 client.
//!
//! In Wasm every request goes through the host module `faas_http`
//! (docs/abi.md), only to the hosts in the function's
//! `com.openfaas.wasm.allowed-hosts` annotation; `http://` and `https://`
//! URLs work (the host dials). Natively it is a plain `std::net::TcpStream`
//! client for `http://` URLs (one connection per request, no TLS, no proxy,
//! redirects not followed). Bodies are buffered; the request is sent with a
//! `Content-Length`.

/// A response to an outbound request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientResponse {
    /// HTTP status code.
    pub status: u16,
    /// Headers as received (names as the server sent them).
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl ClientResponse {
    /// The first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Sends one request and returns the response (any status, 4xx/5xx included).
///
/// # Errors
/// A message when the URL is not absolute `http://` (natively) or
/// `http(s)://` (Wasm), when the host refuses (`faas_http: host "x" is not in
/// com.openfaas.wasm.allowed-hosts`, connection failure, timeout), or when the
/// response is not valid HTTP/1.x.
pub fn request(method: &str, url: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<ClientResponse, String> {
    let u = parse_url(url)?;
    let raw = transport::round_trip(&u, method, headers, body)?;
    parse_response(&raw, method == "HEAD").map_err(|e| format!("{} {}: {}", method, url, e))
}

/// `request("GET", url, &[], &[])`.
///
/// # Errors
/// As [`request`].
pub fn get(url: &str) -> Result<ClientResponse, String> {
    request("GET", url, &[], &[])
}

/// An absolute URL split for the request line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Url<'a> {
    pub scheme: &'a str,
    /// host[:port] as written.
    pub authority: &'a str,
    /// Path and query, at least "/".
    pub target: String,
    pub full: &'a str,
}

pub(crate) fn parse_url(url: &str) -> Result<Url<'_>, String> {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i], &url[i + 3..]),
        None => return Err(format!("url \"{}\": need an absolute http:// URL", url)),
    };
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return Err(format!("url \"{}\": scheme must be http or https", url));
    }
    let end = rest.find(|c| c == '/' || c == '?' || c == '#').unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains('@') || authority.contains(char::is_whitespace) {
        return Err(format!("url \"{}\": bad host", url));
    }
    let mut target = rest[end..].split('#').next().unwrap_or("").to_string();
    if !target.starts_with('/') {
        target.insert(0, '/');
    }
    let full = url.split('#').next().unwrap_or(url);
    Ok(Url { scheme, authority, target, full })
}

/// Encodes an HTTP/1.1 request message. `absolute` puts the full URL in the
/// request line (the faas_http ABI), otherwise the origin form. Host is added
/// unless given; Content-Length is set when there is a body or the method
/// usually carries one; caller framing headers are dropped.
pub(crate) fn encode_request(u: &Url, method: &str, headers: &[(&str, &str)], body: &[u8], absolute: bool, close: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(256 + body.len());
    let target = if absolute { u.full.to_string() } else { u.target.clone() };
    let target = if absolute && !u.full[u.scheme.len() + 3..].contains('/') {
        // "http://host?q" or "http://host": give the absolute form a path.
        format!("{}://{}{}", u.scheme, u.authority, u.target)
    } else {
        target
    };
    out.extend_from_slice(format!("{} {} HTTP/1.1\r\n", method, target).as_bytes());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("Host")) {
        out.extend_from_slice(format!("Host: {}\r\n", u.authority).as_bytes());
    }
    for (k, v) in headers {
        if ["Content-Length", "Transfer-Encoding", "Connection"].iter().any(|f| k.eq_ignore_ascii_case(f)) {
            continue;
        }
        let v = v.replace(|c| c == '\r' || c == '\n', " ");
        out.extend_from_slice(format!("{}: {}\r\n", k, v).as_bytes());
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        out.extend_from_slice(format!("Content-Length: {}\r\n", body.len()).as_bytes());
    }
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    out
}

/// Parses an HTTP/1.x response message: status line, headers, and a body
/// framed by chunked encoding, Content-Length, or the end of the message.
pub(crate) fn parse_response(raw: &[u8], head_request: bool) -> Result<ClientResponse, String> {
    let end = find(raw, b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| find(raw, b"\n\n").map(|i| (i, i + 2)))
        .ok_or("response without a complete header block")?;
    let head = std::str::from_utf8(&raw[..end.0]).map_err(|_| "response header is not UTF-8")?;
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let proto = parts.next().unwrap_or("");
    if !proto.starts_with("HTTP/1.") {
        return Err(format!("bad status line \"{}\"", status_line));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..=999).contains(s))
        .ok_or_else(|| format!("bad status line \"{}\"", status_line))?;
    let mut headers = Vec::new();
    for line in lines {
        let i = line.find(':').ok_or_else(|| format!("bad header line \"{}\"", line))?;
        headers.push((line[..i].trim().to_string(), line[i + 1..].trim().to_string()));
    }
    let rest = &raw[end.1..];
    let get = |n: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    let body = if head_request || status == 204 || status == 304 || (100..200).contains(&status) {
        Vec::new()
    } else if get("Transfer-Encoding").map_or(false, |te| te.to_ascii_lowercase().contains("chunked")) {
        dechunk(rest)?
    } else if let Some(cl) = get("Content-Length") {
        let n: usize = cl.parse().map_err(|_| format!("bad Content-Length \"{}\"", cl))?;
        if rest.len() < n {
            return Err(format!("body truncated: {} of {} bytes", rest.len(), n));
        }
        rest[..n].to_vec()
    } else {
        rest.to_vec()
    };
    Ok(ClientResponse { status, headers, body })
}

fn find(h: &[u8], needle: &[u8]) -> Option<usize> {
    h.windows(needle.len()).position(|w| w == needle)
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = find(b, b"\r\n").ok_or("chunked body: missing chunk size")?;
        let size_line = std::str::from_utf8(&b[..eol]).map_err(|_| "chunked body: bad size")?;
        let size_hex = size_line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| format!("chunked body: bad size \"{}\"", size_hex))?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out); // trailers, if any, are ignored
        }
        if b.len() < size + 2 {
            return Err("chunked body: truncated".to_string());
        }
        out.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

#[cfg(target_os = "wasi")]
mod transport {
    use super::Url;

    #[link(wasm_import_module = "faas_http")]
    extern "C" {
        fn request(ptr: i32, len: i32) -> i32;
        fn response_len(handle: i32) -> i32;
        fn response_read(handle: i32, buf_ptr: i32, buf_len: i32) -> i32;
        fn close(handle: i32);
    }

    pub(super) fn round_trip(u: &Url, method: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Vec<u8>, String> {
        let msg = super::encode_request(u, method, headers, body, true, false);
        // SAFETY: the host reads msg and writes at most buf.len() bytes into buf;
        // both stay alive across the calls.
        unsafe {
            let h = request(msg.as_ptr() as i32, msg.len() as i32);
            let n = response_len(h);
            let mut buf = vec![0u8; n.max(0) as usize];
            if n > 0 {
                let got = response_read(h, buf.as_mut_ptr() as i32, n);
                buf.truncate(got.max(0) as usize);
            }
            if h < 0 {
                let msg = String::from_utf8_lossy(&buf).into_owned();
                return Err(if msg.is_empty() { "faas_http: request refused".to_string() } else { msg });
            }
            close(h);
            Ok(buf)
        }
    }
}

#[cfg(not(target_os = "wasi"))]
mod transport {
    use super::Url;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    pub(super) fn round_trip(u: &Url, method: &str, headers: &[(&str, &str)], body: &[u8]) -> Result<Vec<u8>, String> {
        if !u.scheme.eq_ignore_ascii_case("http") {
            return Err(format!("{}: only http:// URLs natively", u.full));
        }
        // host:port as written, or host with the default port ([v6] literals too).
        let has_port = match u.authority.rfind(']') {
            Some(i) => u.authority[i..].contains(':'),
            None => u.authority.contains(':'),
        };
        let addr = if has_port { u.authority.to_string() } else { format!("{}:80", u.authority) };
        let err = |e: std::io::Error| format!("{} {}: {}", method, u.full, e);
        let mut conn = TcpStream::connect(addr.as_str()).map_err(err)?;
        conn.set_read_timeout(Some(Duration::from_secs(60))).map_err(err)?;
        conn.set_write_timeout(Some(Duration::from_secs(60))).map_err(err)?;
        let msg = super::encode_request(u, method, headers, body, false, true);
        conn.write_all(&msg).map_err(err)?;
        let mut raw = Vec::new();
        conn.read_to_end(&mut raw).map_err(err)?;
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("http://h:8000/a/b?x=1#frag").unwrap();
        assert_eq!((u.scheme, u.authority, u.target.as_str(), u.full), ("http", "h:8000", "/a/b?x=1", "http://h:8000/a/b?x=1"));
        let u = parse_url("https://h?q").unwrap();
        assert_eq!((u.authority, u.target.as_str()), ("h", "/?q"));
        assert!(parse_url("ftp://h/").is_err());
        assert!(parse_url("/relative").is_err());
        assert!(parse_url("http:///x").is_err());
    }

    #[test]
    fn encode() {
        let u = parse_url("http://127.0.0.1:8000/hamlet.txt").unwrap();
        let m = encode_request(&u, "GET", &[("X-A", "1"), ("Content-Length", "9")], b"", true, false);
        assert_eq!(m, b"GET http://127.0.0.1:8000/hamlet.txt HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nX-A: 1\r\n\r\n");
        let m = encode_request(&u, "POST", &[], b"hi", false, true);
        assert_eq!(m, b"POST /hamlet.txt HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
        let u = parse_url("http://h").unwrap();
        let m = encode_request(&u, "GET", &[], b"", true, false);
        assert!(m.starts_with(b"GET http://h/ HTTP/1.1\r\n"));
    }

    #[test]
    fn parse() {
        let r = parse_response(b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabcdef", false).unwrap();
        assert_eq!((r.status, r.body.as_slice(), r.header("x-a")), (201, &b"abc"[..], Some("b")));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", false).unwrap();
        assert_eq!(r.body, b"abcde");
        let r = parse_response(b"HTTP/1.0 404 Not Found\r\n\r\nrest of it", false).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"rest of it"[..]));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", true).unwrap();
        assert!(r.body.is_empty());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", false).is_err());
        assert!(parse_response(b"SSH-2.0\r\n\r\n", false).is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n", false).is_err());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false).is_err());
    }
}
