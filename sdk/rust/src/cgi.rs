//! The CGI side of the Wasm command form, as pure functions: request from
//! variables + body, response to a CGI header block + body.

// Used by the Wasm form (and tests); natively only the tests call it.
#![cfg_attr(not(target_os = "wasi"), allow(dead_code))]

use crate::{util, Request, Response};

/// Builds the request from CGI/1.1 variables (and the classic watchdog's
/// Http_Method, Http_Path, Http_Query as fallbacks) and the stdin body.
/// HTTP_* variables become headers (`HTTP_X_CALL_ID` → `X-Call-Id`), sorted by
/// name; CONTENT_TYPE and CONTENT_LENGTH replace the corresponding headers,
/// and CONTENT_LENGTH truncates the body.
///
/// # Errors
/// When CONTENT_LENGTH is not a non-negative number.
pub(crate) fn request_from_cgi(vars: &[(String, String)], mut body: Vec<u8>) -> Result<Request, String> {
    let lookup = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty());
    let get = |primary: &str, fallback: &str, def: &str| -> String {
        lookup(primary).or_else(|| lookup(fallback)).unwrap_or(def).to_string()
    };
    let method = get("REQUEST_METHOD", "Http_Method", "GET");
    let mut path = get("PATH_INFO", "Http_Path", "/");
    if !path.starts_with('/') {
        path.insert(0, '/');
    }
    let query = get("QUERY_STRING", "Http_Query", "");
    let mut headers: Vec<(String, String)> = vars
        .iter()
        .filter(|(k, _)| k.len() > 5 && k.starts_with("HTTP_"))
        .map(|(k, v)| (util::canonical_header(&k[5..].replace('_', "-")), v.clone()))
        .collect();
    headers.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(ct) = lookup("CONTENT_TYPE") {
        set(&mut headers, "Content-Type", ct);
    }
    if let Some(cl) = lookup("CONTENT_LENGTH") {
        let n: usize = cl.trim().parse().map_err(|_| format!("CONTENT_LENGTH \"{}\": not a length", cl))?;
        body.truncate(n);
        set(&mut headers, "Content-Length", cl.trim());
    }
    Ok(Request { method, path, query, headers, body })
}

/// Splits a reactor's stdin envelope (docs/abi.md): `KEY=VALUE` lines up to
/// an empty line, then the body.
///
/// # Errors
/// When no empty line ends the variables, a variable is not UTF-8, or a line
/// has no `=`.
pub(crate) fn parse_envelope(mut input: Vec<u8>) -> Result<(Vec<(String, String)>, Vec<u8>), String> {
    let mut vars = Vec::new();
    let mut pos = 0;
    loop {
        let end = match input[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => pos + i,
            None => return Err("envelope: no empty line ends the variables".to_string()),
        };
        if end == pos {
            let body = input.split_off(end + 1);
            return Ok((vars, body));
        }
        let line = std::str::from_utf8(&input[pos..end]).map_err(|_| "envelope: a variable is not UTF-8".to_string())?;
        let (k, v) = line.split_once('=').ok_or_else(|| format!("envelope: line {:?} has no '='", line))?;
        vars.push((k.to_string(), v.to_string()));
        pos = end + 1;
    }
}

fn set(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    headers.push((name.to_string(), value.to_string()));
}

/// Writes `resp` (already through dispatch::finish) as a CGI response:
/// `Status: NNN Text`, the headers in order (CR/LF in values become spaces),
/// an empty line, then the body.
pub(crate) fn write_cgi(resp: &Response) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + resp.body.len());
    let text = util::status_text(resp.status);
    out.extend_from_slice(format!("Status: {} {}", resp.status, text).trim_end().as_bytes());
    out.extend_from_slice(b"\r\n");
    for (k, v) in &resp.headers {
        if k.is_empty() || k.eq_ignore_ascii_case("Status") {
            continue;
        }
        out.extend_from_slice(k.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.replace(|c| c == '\r' || c == '\n', " ").as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&resp.body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn request_from_vars() {
        let v = vars(&[
            ("REQUEST_METHOD", "POST"),
            ("PATH_INFO", "/a/b"),
            ("QUERY_STRING", "x=1+2"),
            ("CONTENT_TYPE", "application/json"),
            ("CONTENT_LENGTH", "4"),
            ("HTTP_X_CALL_ID", "abc"),
            ("HTTP_CONTENT_TYPE", "application/json"),
            ("HTTP_HOST", "gw:8080"),
            ("Http_X_Call_Id", "abc"),
            ("greeting", "hi"),
        ]);
        let r = request_from_cgi(&v, b"body-and-more".to_vec()).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, "/a/b");
        assert_eq!(r.query_param("x").as_deref(), Some("1 2"));
        assert_eq!(r.body, b"body");
        assert_eq!(r.header("x-call-id"), Some("abc"));
        assert_eq!(r.header("HOST"), Some("gw:8080"));
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.headers.iter().filter(|(k, _)| k == "Content-Type").count(), 1);
        assert_eq!(r.header("Content-Length"), Some("4"));
        assert_eq!(r.header("greeting"), None);
    }

    #[test]
    fn request_fallbacks_and_defaults() {
        let r = request_from_cgi(&vars(&[]), b"x".to_vec()).unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str(), r.query.as_str()), ("GET", "/", ""));
        assert_eq!(r.body, b"x");
        let v = vars(&[("Http_Method", "PUT"), ("Http_Path", "p"), ("Http_Query", "a=b")]);
        let r = request_from_cgi(&v, vec![]).unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str(), r.query.as_str()), ("PUT", "/p", "a=b"));
        assert!(request_from_cgi(&vars(&[("CONTENT_LENGTH", "-1")]), vec![]).is_err());
    }

    #[test]
    fn envelope() {
        let (v, body) = parse_envelope(b"REQUEST_METHOD=POST\nQUERY_STRING=a=b\nEMPTY=\n\nline1\n\nline3".to_vec()).unwrap();
        assert_eq!(v, vars(&[("REQUEST_METHOD", "POST"), ("QUERY_STRING", "a=b"), ("EMPTY", "")]));
        assert_eq!(body, b"line1\n\nline3");
        let (v, body) = parse_envelope(b"\n".to_vec()).unwrap();
        assert!(v.is_empty() && body.is_empty());
        assert!(parse_envelope(b"A=1\nB=2".to_vec()).unwrap_err().contains("no empty line"));
        assert!(parse_envelope(Vec::new()).unwrap_err().contains("no empty line"));
        assert!(parse_envelope(b"NOEQUALS\n\n".to_vec()).unwrap_err().contains("has no '='"));
        assert!(parse_envelope(b"A=\xff\n\n".to_vec()).unwrap_err().contains("not UTF-8"));
    }

    #[test]
    fn response_block() {
        let r = Response::new(201, "text/plain", "made").with_header("Location", "/x\r\ny");
        assert_eq!(
            String::from_utf8(write_cgi(&r)).unwrap(),
            "Status: 201 Created\r\nContent-Type: text/plain\r\nLocation: /x  y\r\n\r\nmade"
        );
        let r = Response { status: 299, headers: vec![], body: vec![] };
        assert_eq!(write_cgi(&r), b"Status: 299\r\n\r\n");
    }
}
