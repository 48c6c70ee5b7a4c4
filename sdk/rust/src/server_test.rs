use super::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;

fn test_handler(req: &Request) -> Response {
    match req.path.as_str() {
        "/sleep" => {
            let ms: u64 = req.query_param("ms").and_then(|v| v.parse().ok()).unwrap_or(0);
            std::thread::sleep(Duration::from_millis(ms));
            Response::new(200, "text/plain", "slept")
        }
        "/panic" => panic!("test panic"),
        _ => Response::new(200, "text/plain", format!("{} {} {} {}", req.method, req.path, req.query, String::from_utf8_lossy(&req.body)))
            .with_header("X-Seen-Call-Id", req.header("x-call-id").unwrap_or("")),
    }
}

/// One parsed response read off a keep-alive connection.
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    fn header(&self, n: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str())
    }
}

fn read_response(r: &mut BufReader<TcpStream>) -> Got {
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let status = line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut headers = Vec::new();
    loop {
        let mut l = String::new();
        r.read_line(&mut l).unwrap();
        let l = l.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_at(l.find(':').unwrap());
        headers.push((k.to_string(), v[1..].trim().to_string()));
    }
    let n: usize = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; n];
    r.read_exact(&mut body).unwrap();
    Got { status, headers, body: String::from_utf8(body).unwrap() }
}

/// Starts serve on an ephemeral port; returns its address, the shutdown
/// trigger and the thread that returns serve's result.
fn start(opts: Options) -> (String, tokio::sync::oneshot::Sender<()>, std::thread::JoinHandle<Result<(), String>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let th = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let r = rt.block_on(serve(l, test_handler, opts, async {
            let _ = rx.await;
        }));
        rt.shutdown_background();
        r
    });
    (addr, tx, th)
}

#[test]
fn keep_alive_health_and_duration() {
    let (addr, stop, th) = start(Options::default());
    let conn = TcpStream::connect(&addr).unwrap();
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    w.write_all(b"POST /echo/x?a=1 HTTP/1.1\r\nHost: t\r\nX-Call-Id: 42\r\nContent-Length: 5\r\n\r\nhello").unwrap();
    let g = read_response(&mut r);
    assert_eq!(g.status, 200);
    assert_eq!(g.body, "POST /echo/x a=1 hello");
    assert_eq!(g.header("X-Seen-Call-Id"), Some("42"));
    let secs: f64 = g.header("X-Duration-Seconds").unwrap().parse().unwrap();
    assert!((0.0..5.0).contains(&secs));
    // Second request on the same connection: keep-alive.
    w.write_all(b"GET /_/health HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let g = read_response(&mut r);
    assert_eq!((g.status, g.body.as_str()), (200, "OK"));
    assert!(g.header("X-Duration-Seconds").is_some());
    // Third: a panicking handler answers 500 and the server lives on.
    w.write_all(b"GET /panic HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut r).status, 500);
    w.write_all(b"GET /again HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut r).body, "GET /again  ");
    drop((w, r));
    stop.send(()).unwrap();
    assert_eq!(th.join().unwrap(), Ok(()));
}

#[test]
fn body_limit() {
    let (addr, stop, th) = start(Options { max_body: 4, ..Options::default() });
    let conn = TcpStream::connect(&addr).unwrap();
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    w.write_all(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello").unwrap();
    assert_eq!(read_response(&mut r).status, 413);
    drop((w, r));
    let conn = TcpStream::connect(&addr).unwrap();
    let mut w = conn.try_clone().unwrap();
    let mut r = BufReader::new(conn);
    w.write_all(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut r).status, 413);
    drop((w, r));
    stop.send(()).unwrap();
    assert_eq!(th.join().unwrap(), Ok(()));
}

#[test]
fn drain_waits_for_in_flight() {
    let (addr, stop, th) = start(Options::default());
    let a = addr.clone();
    let client = std::thread::spawn(move || {
        let conn = TcpStream::connect(&a).unwrap();
        let mut w = conn.try_clone().unwrap();
        let mut r = BufReader::new(conn);
        w.write_all(b"GET /sleep?ms=400 HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        read_response(&mut r)
    });
    std::thread::sleep(Duration::from_millis(150));
    let t0 = Instant::now();
    stop.send(()).unwrap();
    let g = client.join().unwrap();
    assert_eq!((g.status, g.body.as_str()), (200, "slept"));
    assert_eq!(th.join().unwrap(), Ok(()));
    assert!(t0.elapsed() < Duration::from_secs(3));
    // No longer accepting.
    assert!(TcpStream::connect(&addr).is_err());
}

#[test]
fn drain_is_bounded() {
    let (addr, stop, th) = start(Options { drain_timeout: Duration::from_millis(200), ..Options::default() });
    let _client = std::thread::spawn(move || {
        let mut conn = TcpStream::connect(&addr).unwrap();
        conn.write_all(b"GET /sleep?ms=3000 HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut buf = Vec::new();
        let _ = conn.read_to_end(&mut buf);
    });
    std::thread::sleep(Duration::from_millis(150));
    let t0 = Instant::now();
    stop.send(()).unwrap();
    let err = th.join().unwrap().unwrap_err();
    assert!(err.contains("still running"), "{}", err);
    assert!(t0.elapsed() < Duration::from_secs(2));
}

#[test]
fn write_timeout_closes_connection() {
    let (addr, stop, th) = start(Options { write_timeout: Duration::from_millis(200), ..Options::default() });
    let mut conn = TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let t0 = Instant::now();
    conn.write_all(b"GET /sleep?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = conn.read_to_end(&mut buf);
    assert!(buf.is_empty(), "{:?}", String::from_utf8_lossy(&buf));
    assert!(t0.elapsed() < Duration::from_millis(1400));
    stop.send(()).unwrap();
    let _ = th.join().unwrap();
}
