//go:build wasip1 && faasreactor

package fn

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
)

// env is the instance's environment across calls (see callEnv).
var env callEnv

// envelope reads each call's envelope from stdin.
var envelope envelopeReader

// faasHandle is the reactor entry point of the faas-wasm ABI: it reads the
// stdin envelope, puts its variables in the environment (env.apply), runs
// the registered handler and writes the CGI-style response to stdout. It
// returns 0 on success and 1 (the host answers 500) when no handler is
// registered, the envelope is malformed, writing fails or the handler
// panics.
//
//go:wasmexport faas_handle
func faasHandle() (code int32) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "fn: handler panic: %v\n", p)
			code = 1
		}
	}()
	h := registeredHandler()
	if h == nil {
		fmt.Fprintln(os.Stderr, "fn: no handler registered; call fn.Register from an init function")
		return 1
	}
	vars, body, err := envelope.read(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "fn: %v\n", err)
		return 1
	}
	ev := indexVars(vars)
	env.apply(ev.names, ev.values)
	if err := serveCGI(h, ev.names, ev.lookup, body, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "fn: %v\n", err)
		return 1
	}
	return 0
}

// warmupEnvelope is the request faasInit replays: a health check, which the
// SDK answers without calling the function's handler.
const warmupEnvelope = "REQUEST_METHOD=GET\nPATH_INFO=" + HealthPath + "\nQUERY_STRING=\nCONTENT_LENGTH=0\nHTTP_HOST=localhost\n\n"

// faasInit is the snapshot-time initialiser (runtime/snapshot runs it after
// _initialize when the module exports it): it sends one health check through
// the whole SDK path — envelope, request, handler wrapper, CGI response — and
// collects garbage, so every instance of the snapshot starts with that path's
// lazy state and a settled heap. It never calls the function's own handler,
// which may have side effects.
//
//go:wasmexport faas_init
func faasInit() {
	h := registeredHandler()
	if h == nil {
		return
	}
	vars, body, err := readEnvelope(strings.NewReader(warmupEnvelope))
	if err != nil {
		return
	}
	ev := indexVars(vars)
	_ = serveCGI(h, ev.names, ev.lookup, body, io.Discard)
	// Save the instance's own environment now, so that every instance of
	// the snapshot starts with it (apply saves it on the first call).
	env.apply(nil, nil)
	runtime.GC()
}
