//! The Rust version answers what the Go version answers: the golden file
//! recorded from functions/go/fuzzysearch (go test -run Golden -update),
//! with the text served over loopback HTTP as HAMLET_URL.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

const HAMLET: &[u8] = include_bytes!("../../../testdata/hamlet.txt");
const GOLDEN: &str = include_str!("../../../testdata/fuzzysearch/golden.txt");

/// Serves body to every connection (200), or 404 for paths other than
/// /hamlet.txt; returns the base URL.
fn serve(body: &'static [u8]) -> String {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = ln.local_addr().unwrap();
    thread::spawn(move || {
        for conn in ln.incoming() {
            let mut c = conn.unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let ok = req.starts_with(b"GET /hamlet.txt ");
            let (status, body) = if ok { ("200 OK", body) } else { ("404 Not Found", &b"404 page not found\n"[..]) };
            let _ = write!(c, "HTTP/1.1 {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", status, body.len());
            let _ = c.write_all(body);
        }
    });
    format!("http://{}", addr)
}

#[test]
fn answers_as_go() {
    let base = serve(HAMLET);
    std::env::set_var("HAMLET_URL", format!("{}/hamlet.txt", base));
    assert_eq!(common::golden::check(GOLDEN, fuzzysearch::handle), 16);

    std::env::set_var("HAMLET_URL", format!("{}/nope", base));
    let r = fuzzysearch::handle(&common::params::get_request(""));
    assert_eq!(r.status, 502);
    assert_eq!(String::from_utf8_lossy(&r.body), format!("fetch text: {}/nope answered 404 Not Found\n", base));

    std::env::set_var("HAMLET_URL", "");
    let r = fuzzysearch::handle(&common::params::get_request(""));
    assert_eq!((r.status, String::from_utf8_lossy(&r.body).as_ref()), (502, "env HAMLET_URL is not set\n"));
}
