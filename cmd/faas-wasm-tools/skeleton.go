package main

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/builder"
)

// skeleton says how to render a function skeleton.
type skeleton struct {
	// Lang is the toolchain.
	Lang builder.Lang
	// Crate is the Rust package name.
	Crate string
	// SDK is the path from the function's directory to the faas-wasm
	// checkout (holding fn/ and sdk/), slash-separated.
	SDK string
}

// files returns the skeleton's files: path (slash-separated, relative to
// the function's directory) → content. The faas-cli templates under
// template/LANG/function are these files rendered with Crate "handler" and
// SDK ".." (a function created beside ./template at the checkout's root);
// TestTemplatesMatchSkeletons keeps them in step.
func (s skeleton) files() map[string]string {
	switch s.Lang {
	case builder.LangRust:
		return map[string]string{
			"Cargo.toml":         fmt.Sprintf(rustCargoToml, s.Crate, path.Join(s.SDK, "sdk/rust")),
			"src/main.rs":        fmt.Sprintf(rustMain, strings.ReplaceAll(s.Crate, "-", "_")),
			"src/lib.rs":         rustLib,
			".cargo/config.toml": rustCargoConfig,
		}
	case builder.LangC:
		return map[string]string{"handler.c": cHandler}
	}
	return map[string]string{
		"go.mod":                   fmt.Sprintf(goMod, path.Join(s.SDK, "fn")),
		"main.go":                  goMain,
		"function/handler.go":      goHandler,
		"function/handler_test.go": goHandlerTest,
	}
}

// sortedPaths returns the keys of files, sorted.
func sortedPaths(files map[string]string) []string {
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

const goMod = `module handler

go 1.24

require github.com/faas-wasm/faas-wasm/fn v0.0.0

// The fn SDK from a faas-wasm checkout (it is not published as a module).
replace github.com/faas-wasm/faas-wasm/fn => %s
`

const goMain = `// Command handler serves function.Handle through the fn SDK: natively as an
// HTTP server on :8080 (container image), and under GOOS=wasip1 as a
// faas-wasm module. Build both with: faas-wasm build -f STACK.yml
package main

import (
	"github.com/faas-wasm/faas-wasm/fn"

	"handler/function"
)

// Registration happens in init: a reactor module (-buildmode=c-shared)
// never runs main.main.
func init() { fn.Register(function.Handle) }

func main() { fn.Start() }
`

const goHandler = `// Package function is the function's behaviour.
package function

import (
	"fmt"
	"net/http"
)

// Handle greets ?name= (default "world").
func Handle(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Hello, %s!\n", name)
}
`

const goHandlerTest = `package function

import (
	"net/http/httptest"
	"testing"
)

func TestHandle(t *testing.T) {
	w := httptest.NewRecorder()
	Handle(w, httptest.NewRequest("GET", "/?name=faas", nil))
	if got := w.Body.String(); got != "Hello, faas!\n" {
		t.Fatalf("body %q", got)
	}
}
`

const rustCargoToml = `[package]
name = %q
version = "0.1.0"
edition = "2021"
rust-version = "1.63"
publish = false

[dependencies]
# The faas-wasm-fn SDK from a faas-wasm checkout (it is not on crates.io).
faas-wasm-fn = { path = %q }

[profile.release]
opt-level = 3
lto = true
codegen-units = 1
strip = "symbols"

# A workspace of its own, wherever it is created.
[workspace]
`

const rustMain = `//! Hands the function's handler to the faas-wasm-fn SDK: a WASI command module for
//! --target wasm32-wasi, a native HTTP server on :8080 otherwise.

fn main() {
    faas_wasm_fn::run(%s::handle)
}
`

const rustLib = `//! The function's behaviour: ` + "`handle`" + ` answers one request.

use faas_wasm_fn::{Request, Response};

/// Greets ` + "`?name=`" + ` (default "world").
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
`

const rustCargoConfig = `# Offline build against Debian's packaged crates (librust-*-dev), with Debian's
# rustc, whose wasm32-wasi std comes from libstd-rust-dev-wasm32 (a rustup
# toolchain earlier on PATH may lack it). faas-wasm build calls /usr/bin/cargo.
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "/usr/share/cargo/registry"

[net]
offline = true

[build]
rustc = "/usr/bin/rustc"
rustdoc = "/usr/bin/rustdoc"
`

const cHandler = `/* The function: greets ?name= (default "world"), with the faas-wasm C SDK
 * (sdk/c/faaswasm.h). faas-wasm build (lang c-faaswasm) compiles every .c file
 * of this directory with the SDK: clang --target=wasm32-wasi for the Wasm image,
 * clang -static for the container image. */
#include <stdio.h>
#include <string.h>

#include "faaswasm.h"

static int handle(const fw_request *req) {
  char name[128], out[256];
  if (!fw_query_param(req, "name", name, sizeof name)) strcpy(name, "world");
  int n = snprintf(out, sizeof out, "Hello, %s!\n", name);
  fw_respond(200, "text/plain; charset=utf-8", out, (size_t)n);
  return 0;
}

int main(void) { return fw_run(handle); }
`
