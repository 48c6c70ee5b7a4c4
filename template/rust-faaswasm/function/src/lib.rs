//! The function's behaviour: `handle` answers one request.

use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// Greets `?name=` (default "world").
pub fn handle(req: &Request) -> Response {
    let name = req.query_param("name").unwrap_or_else(|| "world".into());
    Response::new(200, "text/plain; charset=utf-8", format!("Hello, {}!\n", name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets() {
        let req = Request { method: "GET".into(), path: "/".into(), query: "name=faas".into(), headers: vec![], body: vec![] };
        assert_eq!(handle(&req).body, b"Hello, faas!\n");
    }
}
