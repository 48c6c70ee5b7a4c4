// Package autoscale is faas-wasm's autoscaler: a loop above any
// provider.Backend that sets each function's replica count from the load
// measured in the invocation path (package metrics), for Wasm and container
// functions alike, in local and Kubernetes mode.
//
// # Decisions
//
// Every interval (default 2s) it lists the functions of every namespace and,
// for each one with at least one replica, computes
//
//	desired = ceil(load / target)   clamped to [max(min, 1), max]
//
// where target is the label com.openfaas.scale.target (default 50, per
// replica) and load, over the last interval, depends on
// com.openfaas.scale.type:
//
//   - rps (default, as in OpenFaaS): calls finished per second;
//   - capacity: average calls in flight (the time integral of in-flight
//     calls divided by the interval, so short bursts count for what they
//     last);
//   - cpu: FunctionStatus.Usage.CPU in millicores, summed over replicas,
//     when the backend reports it; no backend of this build does yet, so a
//     cpu function falls back to capacity (logged once per function).
//
// min and max are com.openfaas.scale.min/max (provider.ScaleBounds, max
// defaulting to WithMaxReplicas). Scale-up happens at once. Scale-down waits
// for the cool-down (WithCooldown, default 1m) after the last increase, by
// anyone (autoscaler, /system/alert, a user, a wake-up), and then goes to the
// highest count desired during the cool-down window, so a dip in load
// shorter than the window does not remove replicas.
//
// # Scale to zero and from zero
//
// A function labelled com.openfaas.scale.zero=true with no call in flight
// and no call for com.openfaas.scale.zero-duration (and no increase of
// replicas for as long) is scaled to zero. The autoscaler is the one owner
// of scale to zero, fed by the one count of calls (package metrics, which
// the HTTP layer feeds): the backends have no idle loop and count nothing.
// With WithLoadScaling(false) (the provider's --autoscale=false) it still
// scales idle functions to zero and does nothing else. It never scales a
// function up from zero: a function at zero is skipped until a call wakes it
// (handlers/wake.go scales it to min and waits for readiness).
//
// # What a replica is
//
//   - Wasm function, local mode: a loaded wasm.Function (compiled module
//     instantiated with its own configuration) with its own concurrency
//     slots and, in warm mode, its own warm instances; adding one costs
//     milliseconds (faaswasm_scale_seconds).
//   - Container function, local mode: one containerd container (task) with
//     its own network namespace and watchdog.
//   - Kubernetes mode: one pod of the function's Deployment.
//
// # What it does not do
//
// It does not measure load itself (it reads a LoadSource, normally
// *metrics.Metrics), does not wake functions from zero, and does not persist
// anything: after a restart the cool-down and idle clocks start again.
package autoscale
