// Package metrics measures function invocations for Prometheus and for the
// autoscaler, from one set of counters.
//
// Metrics is fed by the HTTP layer (handlers.Config.Observer): every call
// through /function/ to a function that exists is counted once, whatever the
// function's kind (Wasm or container) and whatever its outcome. It exports,
// under the names of the OpenFaaS gateway:
//
//	gateway_function_invocation_total{function_name,code}   counter
//	gateway_functions_seconds{function_name,code}           histogram
//	gateway_function_invocation_started{function_name}      counter
//	gateway_function_invocation_inflight{function_name}     gauge
//	gateway_service_count{function_name}                    gauge (replicas)
//
// and, for faas-wasm itself:
//
//	faaswasm_service_available_replicas{function_name}      gauge
//	faaswasm_scale_seconds{function_name,direction}         histogram of Backend.Scale calls
//	faaswasm_scale_from_zero_seconds{function_name,outcome} histogram of wake-ups
//	faaswasm_wasm_module_cache_total{result}                counter: AOT cache hit or miss
//	faaswasm_wasm_guest_calls_total{function_name,outcome}  counter: ok, trap, exit, timeout, ...
//
// The last two are fed by the Wasm engine when Metrics is its observer
// (runtime/wasm.WithObserver); in Kubernetes mode the guests run in pods
// and these stay empty in the provider.
//
// function_name is "NAME.NAMESPACE" as in OpenFaaS. For a Wasm function in
// local mode a call in flight is a guest instance running, so the in-flight
// gauge is also the count of Wasm instances in flight; the scale-up histogram
// is the time to load new replicas (instantiate and, in warm mode,
// initialise them), since the local backend scales Wasm synchronously.
//
// Instrumented (from Wrap) decorates a provider.Backend so that status reports
// invocationCount from these counters, and forgets a function's series when
// it is deleted. Load gives the autoscaler the same data: calls in flight,
// calls finished and the time integral of calls in flight.
//
// The package does not scale anything (see package autoscale) and does not
// serve routes itself: Handler is mounted by the HTTP layer.
package metrics
