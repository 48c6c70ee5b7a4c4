// Package runner is the process side of the node shim: it loads one function
// module with runtime/wasm and answers /_/health and invocations over HTTP
// (by default on :8080), with the limits and capabilities of a
// runspec.Config.
//
// The shim (package shim) writes the Config into the container's bundle and
// starts cmd/faaswasm-runner already inside the pod's namespaces and cgroup,
// with the container's stdout and stderr FIFOs as its own, so the runner's
// messages and the module's stderr lines reach the container log.
//
// The package does not know containerd, OCI bundles, namespaces or cgroups;
// it only turns a Config into a serving HTTP endpoint.
package runner
