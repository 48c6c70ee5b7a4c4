// Package containers runs container functions on one host through containerd
// (the local backend's second kind of function runner).
//
// A Manager connects to a containerd daemon (1.6 or later) and, per
// function, pulls the image (plain HTTP for loopback and listed registries),
// creates N replicas — one containerd container plus runc task each — on a
// CNI bridge network of its own, applies cgroup limits, a read-only root
// filesystem when asked, and bind-mounts the function's secrets read-only at
// /var/openfaas/secrets. Every replica is health checked on
// GET :8080/_/health, restarted with exponential backoff when its task dies
// (crash loops are reported in Replica.Err and the log; a container removed
// behind the manager's back is created again from the spec), and its
// stdout/stderr are tailed from a per-replica log file and handed to a log
// sink with the replica id as instance. Handler returns the shared invocation
// proxy (package proxy) over the ready replicas; during an update the old replicas keep
// serving until a new one is ready. After a provider restart, Recover adopts
// the containers found by label without redeploying them, and a containerd
// restart is ridden out without restarting tasks. Every container carries
// the manager's owner id (kept in its state directory): managers with other
// state directories may share the containerd namespace and the network, and
// none adopts or removes another's containers.
//
// The CNI network (bridge + host-local, see Network) is generated in memory,
// so no CNI config directory is needed; only the plugin binaries are.
// Every replica's /etc/hosts names the bridge's gateway address (the
// subnet's first, Manager.HostAddress) provider.HostAlias, so a function
// reaches a service on the host at http://host.faas-wasm.internal:PORT when
// that service listens on the gateway address or on 0.0.0.0 (one bound to
// 127.0.0.1 is out of the replica's reach).
//
// What it does not do: HTTP routing (one http.Handler per function is all it
// offers), persistence of function specs beyond what containerd stores,
// secret management (callers pass a directory), idle scale-to-zero policy, or
// Wasm functions. Only this package imports containerd and go-cni.
package containers
