//! The native form end to end: runs the echo example (built by `cargo test`)
//! as a process and stops it with SIGTERM.
#![cfg(not(target_os = "wasi"))]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

fn echo_bin() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples").join("echo")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Starts echo on a free port and waits until /_/health answers.
fn start(env: &[(&str, &str)]) -> (Child, u16) {
    let port = free_port();
    let mut cmd = Command::new(echo_bin());
    cmd.env("PORT", port.to_string());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("run target/.../examples/echo (built by cargo test)");
    let t0 = Instant::now();
    while get(port, "/_/health").map(|r| !r.starts_with("HTTP/1.1 200")).unwrap_or(true) {
        assert!(t0.elapsed() < Duration::from_secs(10), "echo did not become healthy");
        std::thread::sleep(Duration::from_millis(20));
    }
    (child, port)
}

fn get(port: u16, path: &str) -> std::io::Result<String> {
    let mut c = TcpStream::connect(("127.0.0.1", port))?;
    write!(c, "GET {} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", path)?;
    let mut s = String::new();
    c.read_to_string(&mut s)?;
    Ok(s)
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success();
    assert!(ok);
}

fn wait(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let t0 = Instant::now();
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            panic!("process still running after {:?}", limit);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigterm_drains_then_exits_0() {
    let (mut child, port) = start(&[("greeting", "hi")]);
    let r = get(port, "/x?a=1").unwrap();
    assert!(r.starts_with("HTTP/1.1 200"), "{}", r);
    assert!(r.contains("greeting=hi") && r.contains("x-duration-seconds:"), "{}", r);
    let slow = std::thread::spawn(move || get(port, "/slow?sleep_ms=600"));
    std::thread::sleep(Duration::from_millis(200));
    sigterm(&child);
    let r = slow.join().unwrap().unwrap();
    assert!(r.starts_with("HTTP/1.1 200") && r.contains("GET /slow"), "{}", r);
    let st = wait(&mut child, Duration::from_secs(5));
    assert_eq!(st.code(), Some(0));
}

#[test]
fn drain_timeout_exits_1() {
    let (mut child, port) = start(&[("drain_timeout", "300ms")]);
    let _slow = std::thread::spawn(move || get(port, "/slow?sleep_ms=5000"));
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    sigterm(&child);
    let st = wait(&mut child, Duration::from_secs(3));
    assert_eq!(st.code(), Some(1));
    assert!(t0.elapsed() < Duration::from_secs(2));
}
