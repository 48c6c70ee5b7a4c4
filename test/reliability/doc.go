// Package reliability holds the reliability and security proofs of
// faas-wasm in local mode (issue 10): tests that start the real provider
// binary, deploy real Wasm guests built from source during the run, and
// then load it, feed it hostile guests, kill it, restart it and look for
// leaked secrets, lost state and missing limits.
//
// The package has no code of its own outside its tests. Run it with
//
//	go test -count=1 ./test/reliability/
//
// RELIABILITY_SCALE (a positive integer, default 1) multiplies the
// request counts of the load tests for a longer soak.
//
// It does not cover fuzzing of decoders, hostile Wasm at the engine level,
// the auth route table or atomic writes under kill -9 of a writer: those are
// tested next to their code (handlers/, provider/, runtime/wasm, oci/,
// local/persist_test.go).
package reliability
