// Package leaktest is the goroutine-leak check of the concurrent packages'
// TestMain: after all tests of a package ran (and the package's shared
// harnesses were closed) no goroutine they started may still run. It wraps
// go.uber.org/goleak and ignores only the goroutines that live as long as
// the test binary by design, each listed in Ignores with the reason.
//
// It does not find leaks inside a single test (goleak.VerifyNone does that)
// nor leaks of processes or files.
package leaktest

import (
	"fmt"
	"net/http"
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Ignores are the goroutines that may outlive a package's tests.
var Ignores = []goleak.Option{
	// Our own test harness: containerdtest starts the private containerd
	// daemons from one locked OS thread kept for the whole test binary (so
	// their Pdeathsig does not fire when Go retires a thread).
	goleak.IgnoreTopFunction("github.com/faas-wasm/faas-wasm/internal/containerdtest.spawnLoop"),
	// Not ignored, as none is needed: klog's flush daemon is not started by
	// these packages' tests (client-go links klog, nothing calls
	// StartFlushDaemon), OpenCensus is not linked, grpc's and containerd's
	// client goroutines end when the client is closed, idle http keep-alive
	// connections are closed by Check, and wasmtime-go starts no goroutine
	// (the engine's epoch ticker is ours and ends with Engine.Close).
}

// Main runs the tests, then cleanups (the package's shared harnesses), then
// the leak check when the tests passed, and exits with the result. Use it
// as the whole TestMain: func TestMain(m *testing.M) { leaktest.Main(m) }.
func Main(m *testing.M, cleanups ...func()) {
	os.Exit(Run(m, cleanups...))
}

// Run is Main without the exit: it returns the exit code.
func Run(m *testing.M, cleanups ...func()) int {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	if code != 0 {
		return code // failing tests may leave goroutines behind; report the failures only
	}
	if err := Check(); err != nil {
		fmt.Fprintf(os.Stderr, "leaktest: goroutines still running after the tests passed:\n%v\n", err)
		return 1
	}
	return 0
}

// Check reports the goroutines still running beside the test binary's own
// and Ignores. Idle keep-alive connections of http.DefaultTransport (the
// tests' clients, httptest servers' clients) are closed first: they end
// with their server but a client keeps them until its idle timeout.
//
// # Errors
//
// One error listing the leaked goroutines' stacks; goleak retries for a
// while first, so goroutines that are ending are not reported.
func Check(extra ...goleak.Option) error {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		t.CloseIdleConnections()
	}
	return goleak.Find(append(append([]goleak.Option{}, Ignores...), extra...)...)
}
