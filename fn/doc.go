// Package fn is the function SDK of faas-wasm: a function is written once as
// an OpenFaaS golang-middleware handler,
//
//	func Handle(w http.ResponseWriter, r *http.Request)
//
// and the same source builds two ways.
//
//   - Natively (any GOOS but wasip1), [Start] serves the registered handler
//     over HTTP on :8080 (env PORT overrides) with GET /_/health, an
//     X-Duration-Seconds header on every response and a bounded graceful
//     drain on SIGTERM, like the OpenFaaS of-watchdog.
//   - With GOOS=wasip1 it speaks the faas-wasm function ABI (docs/abi.md).
//     As a command module (plain go build), [Start] reads the CGI variables
//     from the environment and the body from stdin, runs the handler once and
//     writes a CGI header block and the body to stdout. Built with
//     -buildmode=c-shared and the build tag faasreactor, the module exports
//     faas_handle: each call reads the stdin envelope (variables, empty line,
//     body), sets the variables with os.Setenv, runs the handler and writes the
//     response to stdout. In that shape main.main never runs, so the handler
//     must be registered from an init function with [Register]. The reactor
//     also exports faas_init, which runtime/snapshot runs at build time: it
//     sends one health check through the SDK (never through the function's
//     own handler) and collects garbage, so every instance of the snapshot
//     starts warm.
//
// Under wasip1 the package also gives http.DefaultClient a RoundTripper over
// the host module faas_http, so http.Get, http.Post and
// http.DefaultClient.Do work unchanged inside the sandbox (only to the hosts
// the function's com.openfaas.wasm.allowed-hosts annotation allows). Clients
// of your own take [Transport]. http.DefaultTransport itself is left alone:
// touching it would link net/http's socket transport into every module.
//
// [Secret] reads the function's secrets from [SecretsPath] in both builds. A
// secret the function does not have is "secret NAME not found", also when it
// has none at all: a Wasm function without secrets has no filesystem (Go's
// os package would answer EBADF), a container no SecretsPath.
//
// A main package for a function is two lines:
//
//	func init() { fn.Register(function.Handle) }
//	func main() { fn.Start() }
//
// The package uses the standard library only. It does not implement the host
// side of the ABI (that is runtime/wasm), it does not stream request or
// response bodies in the Wasm shapes (both are buffered in memory), and it
// offers no routing beyond /_/health: the handler sees every other path.
package fn
