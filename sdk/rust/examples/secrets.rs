//! secrets: `?name=NAME` answers the function's secret NAME
//! (faas_wasm_fn::secret), or 404 with its error; `?list=DIR` lists the
//! entries of DIR (default the secrets directory), or 404 with the error: a
//! Wasm function without secrets has no filesystem at all.
//!
//!   /usr/bin/cargo build --release --example secrets --target wasm32-wasi
//!
//! or, as a reactor module (faas_wasm_fn::reactor! below; rustc 1.63 needs
//! wasi-libc's reactor start-up linked in, see internal/builder/rustflags):
//!
//!   /usr/bin/cargo rustc --release --example secrets --crate-type cdylib --target wasm32-wasi \
//!     -- -C link-arg=$(/usr/bin/rustc --print sysroot)/lib/rustlib/wasm32-wasi/lib/self-contained/crt1-reactor.o

use faas_wasm_fn::{Request, Response};

faas_wasm_fn::reactor!(handle);

fn handle(req: &Request) -> Response {
    let text = "text/plain; charset=utf-8";
    if let Some(name) = req.query_param("name") {
        return match faas_wasm_fn::secret(&name) {
            Ok(v) => Response::new(200, text, v),
            Err(e) => Response::new(404, text, e.to_string()),
        };
    }
    let dir = req.query_param("list").unwrap_or_else(|| faas_wasm_fn::SECRETS_PATH.to_string());
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            let mut names: Vec<String> = entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            Response::new(200, text, names.join("\n"))
        }
        Err(e) => Response::new(404, text, format!("list {}: {}", dir, e)),
    }
}

fn main() {
    faas_wasm_fn::run(handle);
}
