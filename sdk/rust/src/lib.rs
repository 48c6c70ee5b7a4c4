//! faas-wasm function SDK for Rust: write one handler, build it two ways.
//!
//! ```no_run
//! use faas_wasm_fn::{Request, Response};
//!
//! fn handle(req: &Request) -> Response {
//!     Response::new(200, "text/plain; charset=utf-8", format!("hello {}", req.path))
//! }
//!
//! fn main() {
//!     faas_wasm_fn::run(handle);
//! }
//! ```
//!
//! - `--target wasm32-wasi`: [`run`] is a command module of the faas-wasm ABI
//!   (docs/abi.md): the request comes from the CGI variables in the
//!   environment and the body from stdin; the response goes to stdout as a CGI
//!   header block and the body. A panicking handler traps, and the host answers 500.
//! - any other target: [`run`] serves HTTP/1.1 with keep-alive (hyper 0.14 +
//!   tokio) on `:8080` (env `PORT` overrides), with the same env contract as the
//!   Go SDK (`fn/`): `read_timeout`, `write_timeout`, `drain_timeout`.
//!
//! In both forms `GET`/`HEAD /_/health` answers 200 without calling the handler
//! and every response carries `X-Duration-Seconds`, as in the Go SDK.
//! Outbound HTTP goes through [`http`]; the function's secrets are read with
//! [`secret`] (a Wasm function without secrets has no filesystem at all: its
//! `secret` answers "not found" like a container's). The SDK does not stream bodies (both
//! are buffered in memory) and does no routing beyond `/_/health`.
//!
//! A library that also declares [`reactor!`]`(handle)` can be built as a reactor
//! module (`cdylib` for wasm32-wasi, the faas-wasm builder's `reactor` shape):
//! the same handler behind the ABI's `faas_handle`, one call per request, which
//! the host may run in a fresh instance per request or, in warm mode, in one
//! instance reused across requests (about a function call per request instead
//! of an instance; the price is isolation between requests, docs/abi.md).

mod cgi;
mod dispatch;
pub mod http;
mod secret;
mod util;

pub use secret::{secret, SECRETS_PATH};

#[cfg(not(target_os = "wasi"))]
mod server;

#[cfg(target_os = "wasi")]
mod wasi;

#[cfg(target_os = "wasi")]
#[doc(hidden)]
pub mod reactor;

/// Exports `handler` as the reactor entry point `faas_handle` of the
/// faas-wasm ABI (docs/abi.md) when the crate is compiled for `wasm32-wasi`;
/// elsewhere it expands to nothing. Declare it once, in the function's
/// library next to the handler:
///
/// ```ignore
/// faas_wasm_fn::reactor!(handle);
/// ```
///
/// Built as a `cdylib` (the faas-wasm builder's `reactor` shape) the library
/// is a reactor module: every `faas_handle` call reads the request envelope
/// from stdin, calls `handler` (or answers `/_/health`) and writes the
/// response to stdout, as [`run`] does for one request of a command module.
/// The command module built from the same crate's binary exports
/// `faas_handle` too and stays a command module: the host runs a module that
/// exports `_start` as a command.
#[macro_export]
macro_rules! reactor {
    ($handler:path) => {
        #[cfg(target_os = "wasi")]
        #[no_mangle]
        pub extern "C" fn faas_handle() -> i32 {
            $crate::reactor::call($handler)
        }
    };
}

/// An HTTP request as the handler sees it. The body is fully read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Method, e.g. `GET`.
    pub method: String,
    /// Path, starting with `/`, not decoded.
    pub path: String,
    /// Raw query string without `?` (URL-encoded), empty if none.
    pub query: String,
    /// Headers in canonical form (`Content-Type`, `X-Call-Id`), in arrival
    /// order (Wasm: sorted by name). `Host` and `Content-Length` are included.
    pub headers: Vec<(String, String)>,
    /// The request body.
    pub body: Vec<u8>,
}

impl Request {
    /// Returns the first value of header `name`, compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Returns the first value of query parameter `key`, URL-decoded (`+` is a
    /// space, `%XX` a byte; invalid UTF-8 is replaced). Keys are decoded before
    /// they are compared.
    pub fn query_param(&self, key: &str) -> Option<String> {
        util::query_param(&self.query, key)
    }
}

/// The handler's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// Response headers. Framing headers (`Content-Length`,
    /// `Transfer-Encoding`, `Connection`) are ignored.
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: Vec<u8>,
}

impl Response {
    /// A response with `status`, a `Content-Type` header (omitted when
    /// `content_type` is empty) and `body`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        let mut headers = Vec::new();
        if !content_type.is_empty() {
            headers.push(("Content-Type".to_string(), content_type.to_string()));
        }
        Response { status, headers, body: body.into() }
    }

    /// Adds a header (a second value for the same name adds a second line).
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// A function handler. A plain `fn` so it is `Send + Sync + 'static` and runs
/// on any worker thread natively.
pub type Handler = fn(&Request) -> Response;

/// Runs the function; call it from `main`.
///
/// Under `target_os = "wasi"` it handles the one request of this command-module
/// instance and returns (exit 0); it exits with status 1 when the request
/// cannot be read or the response cannot be written, and a panicking handler
/// traps — either way the host answers 500.
///
/// Natively it serves HTTP/1.1 until SIGTERM or SIGINT, then stops accepting,
/// answers 503 on `/_/health`, waits for in-flight requests for at most
/// `drain_timeout` (default 10s) and returns. It exits with status 1 when it
/// cannot listen or the drain timed out. Env: `PORT` (default 8080),
/// `read_timeout` (10s), `write_timeout` (60s, bounds the handler),
/// `drain_timeout` (10s) as Go durations (`1m30s`, `500ms`) or seconds, and
/// `max_body_bytes` (default 32 MiB, larger bodies get 413).
pub fn run(handler: Handler) {
    #[cfg(target_os = "wasi")]
    wasi::run(handler);
    #[cfg(not(target_os = "wasi"))]
    server::run(handler);
}

/// Returns a function environment variable (the deployment's `envVars`), or
/// `None` when unset or not UTF-8. The same as `std::env::var(name).ok()` in
/// both forms.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
