//! The Rust version answers what the Go version answers (golden file
//! recorded from functions/go/user-manager), posting to a loopback store
//! that records the bodies; and it maps store failures as Go does.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

const GOLDEN: &str = include_str!("../../../testdata/user-manager/golden.txt");

/// A store answering 201 to POST /users and 404 otherwise; it records the
/// POSTed bodies.
fn store() -> (String, Arc<Mutex<Vec<String>>>) {
    let ln = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", ln.local_addr().unwrap());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let rec = bodies.clone();
    thread::spawn(move || {
        for conn in ln.incoming() {
            let mut c = conn.unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 4096];
            let (head_end, len) = loop {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break (None, 0),
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
                if let Some(i) = req.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&req[..i]).to_ascii_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse().unwrap()))
                        .unwrap_or(0);
                    break (Some(i + 4), len);
                }
            };
            let start = match head_end {
                Some(s) => s,
                None => continue,
            };
            while req.len() < start + len {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let ok = req.starts_with(b"POST /users ");
            if ok {
                rec.lock().unwrap().push(String::from_utf8_lossy(&req[start..]).to_string());
            }
            let status = if ok { "201 Created" } else { "404 Not Found" };
            let _ = write!(c, "HTTP/1.1 {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", status);
        }
    });
    (base, bodies)
}

#[test]
fn answers_as_go() {
    let (base, bodies) = store();
    std::env::set_var("USER_API_URL", format!("{}/users", base));
    assert_eq!(common::golden::check(GOLDEN, user_manager::handle), 10);
    let bodies = bodies.lock().unwrap();
    assert_eq!(bodies.len(), 1 + 1 + 3 + 5 + 2);
    assert!(bodies[0].starts_with(r#"{"first_name":"Priya","last_name":"Eriksen""#), "{}", bodies[0]);

    std::env::set_var("USER_API_URL", format!("{}/elsewhere", base));
    let r = user_manager::handle(&common::params::get_request("entries=1"));
    assert_eq!(
        (r.status, String::from_utf8_lossy(&r.body).to_string()),
        (502, format!("store user 0: post {}/elsewhere: answered 404 Not Found\n", base))
    );
    std::env::set_var("USER_API_URL", "");
    let r = user_manager::handle(&common::params::get_request("entries=1"));
    assert_eq!((r.status, String::from_utf8_lossy(&r.body).as_ref()), (500, "env USER_API_URL is not set\n"));
}
