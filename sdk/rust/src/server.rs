//! The native form: an HTTP/1.1 server (hyper 0.14 + tokio) with keep-alive,
//! /_/health, X-Duration-Seconds and a bounded drain on SIGTERM, following
//! the Go SDK's fn.Start/fn.Serve.

use crate::{dispatch, util, Handler, Request, Response};
use hyper::body::HttpBody;
use hyper::header::{HeaderName, HeaderValue};
use hyper::service::{make_service_fn, service_fn};
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Server settings; defaults as the Go SDK's (fn/options.go).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Bounds reading the request headers (at most 10s) and the body.
    pub read_timeout: Duration,
    /// Bounds the handler: past it the connection is closed without a response.
    pub write_timeout: Duration,
    /// Bounds the wait for in-flight requests after shutdown starts.
    pub drain_timeout: Duration,
    /// Largest request body; larger ones get 413.
    pub max_body: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            read_timeout: Duration::from_secs(10),
            write_timeout: Duration::from_secs(60),
            drain_timeout: Duration::from_secs(10),
            max_body: 32 << 20,
        }
    }
}

impl Options {
    fn from_env() -> Options {
        let d = Options::default();
        Options {
            read_timeout: util::env_duration("read_timeout", d.read_timeout),
            write_timeout: util::env_duration("write_timeout", d.write_timeout),
            drain_timeout: util::env_duration("drain_timeout", d.drain_timeout),
            max_body: std::env::var("max_body_bytes").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(d.max_body),
        }
    }
}

pub(crate) fn run(handler: Handler) {
    let port = std::env::var("PORT").ok().filter(|p| !p.is_empty()).unwrap_or_else(|| "8080".to_string());
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => fail(&format!("tokio runtime: {}", e)),
    };
    let listener = match std::net::TcpListener::bind(format!("0.0.0.0:{}", port)) {
        Ok(l) => l,
        Err(e) => fail(&format!("listen on port {}: {}", port, e)),
    };
    if let Ok(addr) = listener.local_addr() {
        eprintln!("function listening on {}", addr);
    }
    let result = rt.block_on(serve(listener, handler, Options::from_env(), shutdown_signal()));
    // A handler that outlived write_timeout may still run on a blocking
    // thread: do not wait for it.
    rt.shutdown_background();
    if let Err(e) = result {
        fail(&e);
    }
}

fn fail(msg: &str) -> ! {
    eprintln!("faas_wasm_fn::run: {}", msg);
    std::process::exit(1)
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Serves `handler` on `listener` until `shutdown` resolves, then stops
/// accepting, answers 503 on /_/health, lets in-flight requests finish (idle
/// keep-alive connections are closed) for at most `opts.drain_timeout`.
///
/// # Errors
/// A message when the server fails, or when requests were still running at
/// the end of the drain timeout.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    handler: Handler,
    opts: Options,
    shutdown: impl Future<Output = ()>,
) -> Result<(), String> {
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or_default();
    listener.set_nonblocking(true).map_err(|e| format!("serve {}: {}", addr, e))?;
    let draining = Arc::new(AtomicBool::new(false));
    let opts = Arc::new(opts);
    let make_svc = {
        let draining = draining.clone();
        let opts = opts.clone();
        make_service_fn(move |_conn| {
            let draining = draining.clone();
            let opts = opts.clone();
            async move {
                Ok::<_, Infallible>(service_fn(move |req| handle(req, handler, opts.clone(), draining.clone())))
            }
        })
    };
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = hyper::Server::from_tcp(listener)
        .map_err(|e| format!("serve {}: {}", addr, e))?
        .http1_keepalive(true)
        .http1_header_read_timeout(opts.read_timeout.min(Duration::from_secs(10)))
        .serve(make_svc)
        .with_graceful_shutdown(async {
            let _ = stop_rx.await;
        });
    tokio::pin!(server);
    tokio::pin!(shutdown);
    tokio::select! {
        r = &mut server => return r.map_err(|e| format!("serve {}: {}", addr, e)),
        _ = &mut shutdown => {}
    }
    draining.store(true, Ordering::SeqCst);
    let _ = stop_tx.send(());
    match tokio::time::timeout(opts.drain_timeout, server).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(format!("serve {}: {}", addr, e)),
        Err(_) => Err(format!("drain {}: requests still running after {:?}", addr, opts.drain_timeout)),
    }
}

async fn handle(
    req: hyper::Request<hyper::Body>,
    handler: Handler,
    opts: Arc<Options>,
    draining: Arc<AtomicBool>,
) -> Result<hyper::Response<hyper::Body>, BoxError> {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    let mut r = Request {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (util::canonical_header(k.as_str()), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        body: Vec::new(),
    };
    if let Some(resp) = dispatch::health(&r, draining.load(Ordering::SeqCst)) {
        return Ok(to_hyper(dispatch::finish(resp, start)));
    }
    match tokio::time::timeout(opts.read_timeout, read_body(body, opts.max_body)).await {
        Ok(Ok(b)) => r.body = b,
        Ok(Err(resp)) => return Ok(to_hyper(dispatch::finish(resp, start))),
        Err(_) => {
            let resp = Response::new(408, "text/plain; charset=utf-8", "request body not read within read_timeout\n");
            return Ok(to_hyper(dispatch::finish(resp, start).with_header("Connection", "close")));
        }
    }
    let job = tokio::task::spawn_blocking(move || handler(&r));
    let resp = match tokio::time::timeout(opts.write_timeout, job).await {
        Ok(Ok(resp)) => resp,
        Ok(Err(_)) => Response::new(500, "text/plain; charset=utf-8", "handler panicked\n"),
        Err(_) => {
            eprintln!("faas_wasm_fn: handler exceeded write_timeout {:?}; closing the connection", opts.write_timeout);
            return Err("handler exceeded write_timeout".into());
        }
    };
    Ok(to_hyper(dispatch::finish(resp, start)))
}

/// Reads the whole body, or answers 413 past `max` bytes (400 on a broken body).
async fn read_body(mut body: hyper::Body, max: u64) -> Result<Vec<u8>, Response> {
    let too_large = || Response::new(413, "text/plain; charset=utf-8", format!("request body larger than {} bytes\n", max));
    if body.size_hint().lower() > max {
        return Err(too_large());
    }
    let mut out = Vec::with_capacity(body.size_hint().lower().min(1 << 20) as usize);
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(|e| Response::new(400, "text/plain; charset=utf-8", format!("reading body: {}\n", e)))?;
        if out.len() as u64 + chunk.len() as u64 > max {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Converts a finished response; headers hyper cannot carry are logged and dropped.
fn to_hyper(resp: Response) -> hyper::Response<hyper::Body> {
    let mut out = hyper::Response::new(hyper::Body::from(resp.body));
    *out.status_mut() = hyper::StatusCode::from_u16(resp.status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let h = out.headers_mut();
    for (k, v) in resp.headers {
        match (HeaderName::from_bytes(k.as_bytes()), HeaderValue::from_str(&v.replace(|c| c == '\r' || c == '\n', " "))) {
            (Ok(k), Ok(v)) => {
                h.append(k, v);
            }
            _ => eprintln!("faas_wasm_fn: dropping invalid response header {:?}", k),
        }
    }
    out
}

#[cfg(test)]
#[path = "server_test.rs"]
mod tests;
