// Package shim is faas-wasm's containerd runtime v2 shim
// (containerd-shim-faaswasm-v1, runtime type io.containerd.faaswasm.v1): it
// runs a Wasm function container natively with runtime/wasm, so a pod with
// runtimeClassName faas-wasm serves /_/health and invocations on :8080 in
// its own network namespace like a container function.
//
// It is built on github.com/containerd/containerd v1.7 runtime/v2/shim, which
// containerd 1.6 loads and containerd 2.x still accepts.
//
// # Processes
//
// One shim daemon serves a pod: containers with the same
// io.kubernetes.cri.sandbox-id share it (a container without that
// annotation gets its own). With "node" in runspec.DefaultShimGroup (the
// node installer's -shim-group) or $FAASWASM_SHIM_GROUP=node one daemon
// serves every container of the node's containerd namespace instead, so
// its memory counts once per node, not once per pod; a crash of that
// daemon then stops every Wasm pod of the node (see GroupNode). The daemon
// serves the task API over ttrpc and does not link wasmtime. For a Wasm
// container, Create mounts the root filesystem, finds the module, writes a runspec.Config into the bundle,
// compiles the module into the node cache if it is not there (outside the
// container's cgroup) and starts cmd/faaswasm-runner held at a gate: forked
// from a locked OS thread that joined the namespaces the spec names by path
// (the pod's network, IPC, UTS and PID namespaces), with clone flags for
// those it asks to be new. It then puts the runner into the container's
// cgroup (see Cgroups). Once the runner is in the cgroup the gate opens at
// Start, and Start returns
// once the runner listens (it writes to a ready pipe): a started Wasm
// container serves at once. The runner writes to
// the container's stdout and stderr FIFOs (opened read-write, so a vanished
// reader never breaks them); module stderr lines and the runner's own
// messages therefore land in the container log. The shim reaps its
// processes itself (no library reaper) and reports exit codes as containerd
// does: the code, or 128+signal. OOM kills are published as TaskOOM events;
// Stats returns the cgroup's v1 or v2 metrics. Exec, Pause, Resume,
// Checkpoint, Update and terminals answer errdefs.ErrNotImplemented.
//
// # Cgroups
//
// The node's cgroup version is read at run time (cgroups.Mode of
// github.com/containerd/cgroups/v3): cgroup v1 (legacy or hybrid) through
// its cgroup1 package, cgroup v2 (unified) through cgroup2, with
// containerd's OOM watcher of that version. The spec's cgroupsPath gives the
// driver: a path (cgroupfs driver, e.g. /kubepods/besteffort/pod<uid>/<id>)
// is created directly; "slice:prefix:name" (systemd driver, what
// containerd's CRI plugin writes when the kubelet's cgroup parent is a
// systemd slice) is first started as the transient scope unit
// prefix-name.scope in that slice over systemd's D-Bus API, with the
// process in it, Delegate=yes and the limits as unit properties (systemd
// owns the scope's cgroup and keeps its properties), then its cgroup, at
// the path systemd lays out (a-b.slice is /a.slice/a-b.slice), is loaded
// like a cgroupfs one; deleting the container stops the scope. Either way
// the memory, CPU and pids limits are written into the cgroup files. A
// malformed path is a Create error that names it. The runner reads no
// cgroup file (Go's runtime sizes GOMAXPROCS from the v1 or v2 CPU limit).
// This was run for real on cgroup v1 with the cgroupfs driver only; cgroup
// v2 (cgroupfs) is tested on a private cgroup2 mount, the systemd driver by
// its path parsing and unit properties (the test machines have no systemd).
//
// # Finding the module
//
// First args[0] of the spec's process inside the root filesystem (the OCI
// image form, /function.wasm), checked for a core module's header
// (wasmbin.HasHeader); else, like runwasi, the Wasm layer
// (application/wasm and its older media types) of the container's image in
// containerd's content store (the CNCF Wasm artifact form, which containerd
// cannot unpack), stored once per node under the cache directory by digest. Compiled modules are cached per node by
// SHA-256 ($FAASWASM_CACHE_DIR, default /var/lib/faas-wasm/cache), so the
// second container of an image never compiles; $FAASWASM_CACHE_LIMIT bounds
// it (see CacheLimit).
//
// # Signed precompiled layers
//
// When the node trusts build keys (see TrustedBuildKeys), the module's first
// container copies a precompiled layer of its module (media type
// precompiled.LayerMediaType, which containerd fetched with the image but
// does not unpack; its annotations name the module's digest) from the
// content store into the cache directory — its image's, else another
// image's of the node: the CRI plugin names a container's image by the
// first reference sharing its config digest, which can be an unsigned
// earlier build of the same function — and the runner's -precompile
// installs it instead of compiling when a trusted key signed it for this
// module and this engine — the provider's check, precompiled's
// KeyRing.Check, on the layer read by package precompiled/layer. Anything
// else (no key, no layer, another key, engine or module, tampered bytes, a
// layer wasmtime rejects) compiles as without keys, and the runner says why
// in the container log.
//
// # Pod sandboxes
//
// A RuntimeClass's handler runs the whole pod, so containerd's CRI plugin
// also asks this shim to start the pod sandbox (the pause container, a
// native binary; io.kubernetes.cri.container-type=sandbox). The shim runs
// it itself, in the pod's daemon: the spec's program chrooted in the pause
// image's root filesystem, as the spec's user, in new IPC, UTS (with the
// pod's hostname), PID and mount namespaces and the CNI network namespace,
// in the sandbox cgroup. Holding the namespaces ourselves rather than
// handing the sandbox to containerd-shim-runc-v2 saves a second shim
// process and a runc exec per pod, and a Wasm container can never land in
// runc's shim through shim grouping. The price: the pause process gets no
// seccomp profile, capability drop or device rules — acceptable for the
// cluster's own pause image, which runs no workload. Other native
// containers in a Wasm pod (sidecars) are not supported: Create refuses a
// non-sandbox container without a Wasm module.
//
// The package does not pull images, set up networking (CNI), manage
// Kubernetes objects, or implement the Wasm ABI (package runtime/wasm does).
package shim
