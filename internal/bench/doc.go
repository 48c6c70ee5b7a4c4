// Package bench is the side-by-side benchmark behind `faas-wasm bench`: it
// deploys every function of a stack file in each of its variants, language
// × kind (NAME a Go container, NAME-wasm Go Wasm, NAME-rs a Rust container,
// NAME-rs-wasm Rust Wasm; see PlanStack), through the OpenFaaS provider API
// and measures artifact size, deploy → first 200, the first request after scale
// to zero, serial latency over one connection (keep-alive off like the study,
// and on), a rate-limited concurrent load (5 workers × 5 rps, the study's
// setting), a bounded max-throughput run, CPU and memory per replica and,
// when the functions' node is this machine (--containerd-socket), PSS and
// unique memory per idle pod. It writes docs/benchmarks/<mode>.md (a summary
// of every measure with the study's figures and, on Kubernetes, issue 17's
// targets; tables with the language and kind beside the study's numbers,
// and the ratios Wasm/container per language and Rust Wasm/Go container
// from the same run), SVG plots (a colour per variant) and a JSON file.
//
// The measuring code talks only to the provider API (any OpenFaaS gateway
// works with --gateway) and to the image registry for sizes. In local mode
// (--local, the default without --gateway) it also starts what a run needs:
// an OCI registry on loopback, a private containerd when one can run, the
// provider itself as a child process with a temporary state directory, the
// Hamlet text server for fuzzysearch and PostgreSQL + cmd/userstore for
// user-manager, and builds and pushes the stack's images (with --gateway,
// --build does that part).
//
// What it does not do: generate load anywhere but loopback and the addresses
// the user names, run without bounds (every phase is bounded in count and
// time), or tune the provider it measures.
package bench
