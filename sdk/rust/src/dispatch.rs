//! What both forms do around the handler: /_/health, X-Duration-Seconds and
//! header clean-up.

use crate::{util, Request, Response};
use std::time::Instant;

/// The path answered without calling the handler.
pub(crate) const HEALTH_PATH: &str = "/_/health";

/// The header carrying the handler's run time in seconds.
pub(crate) const DURATION_HEADER: &str = "X-Duration-Seconds";

/// Answers GET/HEAD /_/health: 200 "OK", or 503 "draining" once the native
/// server is shutting down. None for any other request.
pub(crate) fn health(req: &Request, draining: bool) -> Option<Response> {
    if req.path != HEALTH_PATH || !(req.method == "GET" || req.method == "HEAD") {
        return None;
    }
    let (status, body) = if draining { (503, "draining") } else { (200, "OK") };
    let body = if req.method == "HEAD" { "" } else { body };
    Some(Response::new(status, "text/plain; charset=utf-8", body))
}

/// Prepares a handler's response for the wire: drops framing headers and any
/// handler-set duration, adds a Content-Type when the body has none, and
/// stamps X-Duration-Seconds (seconds since `start`, 6 decimals, as Go's SDK).
pub(crate) fn finish(mut resp: Response, start: Instant) -> Response {
    resp.headers.retain(|(k, _)| {
        !(k.eq_ignore_ascii_case("Content-Length")
            || k.eq_ignore_ascii_case("Transfer-Encoding")
            || k.eq_ignore_ascii_case("Connection")
            || k.eq_ignore_ascii_case(DURATION_HEADER))
    });
    if !resp.body.is_empty() && !resp.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("Content-Type")) {
        let ct = util::sniff_content_type(&resp.body);
        resp.headers.push(("Content-Type".to_string(), ct.to_string()));
    }
    if !(100..=999).contains(&resp.status) {
        resp.status = 500;
    }
    // Integer formatting: float formatting would add ~20 KB to every module.
    let d = start.elapsed();
    resp.headers.push((DURATION_HEADER.to_string(), format!("{}.{:06}", d.as_secs(), d.subsec_micros())));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> Request {
        Request { method: method.into(), path: path.into(), ..Default::default() }
    }

    #[test]
    fn health_answers() {
        let r = health(&req("GET", "/_/health"), false).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"OK"[..]));
        let r = health(&req("HEAD", "/_/health"), false).unwrap();
        assert_eq!((r.status, r.body.len()), (200, 0));
        assert_eq!(health(&req("GET", "/_/health"), true).unwrap().status, 503);
        assert!(health(&req("POST", "/_/health"), false).is_none());
        assert!(health(&req("GET", "/"), false).is_none());
    }

    #[test]
    fn finish_cleans_and_stamps() {
        let r = Response { status: 0, headers: vec![("content-length".into(), "9".into())], body: b"hi".to_vec() };
        let r = finish(r, Instant::now());
        assert_eq!(r.status, 500);
        assert_eq!(r.headers[0], ("Content-Type".to_string(), "text/plain; charset=utf-8".to_string()));
        assert_eq!(r.headers[1].0, DURATION_HEADER);
        assert_eq!(r.headers.len(), 2);
        assert!(r.headers[1].1.parse::<f64>().is_ok());
    }
}
