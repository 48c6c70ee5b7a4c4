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
// The shim daemon (one per Wasm container) serves the task API over ttrpc
// and does not link wasmtime. At Create it mounts the container's root
// filesystem, finds the module, writes a runspec.Config into the bundle,
// creates the container's cgroup (v1, the spec's cgroupsPath, with its
// memory, CPU and pids limits) and starts cmd/faaswasm-runner held at a
// gate: forked from a locked OS thread that joined the namespaces the spec
// names by path (the pod's network, IPC, UTS and PID namespaces), with
// clone flags for those it asks to be new. Once the runner is in the cgroup
// the gate opens at Start. The runner writes to the container's stdout and
// stderr FIFOs (opened read-write, so a vanished reader never breaks them);
// module stderr lines and the runner's own messages therefore land in the
// container log. The shim reaps the runner itself (no library reaper) and
// reports exit codes as containerd does: the code, or 128+signal. OOM kills
// are published as TaskOOM events; Stats returns cgroup v1 metrics.
// Exec, Pause, Resume, Checkpoint, Update and terminals answer
// errdefs.ErrNotImplemented.
//
// # Finding the module
//
// First args[0] of the spec's process inside the root filesystem (the OCI
// image form, /function.wasm), checked for the Wasm magic; else, like
// runwasi, the Wasm layer (application/wasm and its older media types) of
// the container's image in containerd's content store (the CNCF Wasm
// artifact form, which containerd cannot unpack), stored once per node under
// the cache directory by digest. Compiled modules are cached per node by
// SHA-256 ($FAASWASM_CACHE_DIR, default /var/lib/faas-wasm/cache), so the
// second container of an image never compiles.
//
// # Pod sandboxes go to runc
//
// A RuntimeClass's handler runs the whole pod, so containerd's CRI plugin
// also asks this shim to start the pod sandbox (the pause container, a
// native binary). The shim hands a container whose spec carries
// io.kubernetes.cri.container-type=sandbox to containerd-shim-runc-v2: the
// start action runs runc's start in the bundle and returns its address (and
// marks the bundle, so the delete action is handed over too). runc's shim
// groups containers by io.kubernetes.cri.sandbox-id, but every other
// container of the pod gets its own shim daemon on a socket derived from
// this runtime's name and the container id, so a Wasm container can never
// land in runc's shim. We chose delegation over holding the namespaces
// ourselves because runc sets up the sandbox exactly as for any pod (user,
// hostname, sysctls, seccomp, /dev/shm, OOM score), which is what kubelet
// and CNI expect, at no extra code here. The cost is runc's shim per Wasm
// pod. Other native containers in a Wasm pod (sidecars) are not supported:
// Create refuses a container without a Wasm module.
//
// The package does not pull images, set up networking (CNI), manage
// Kubernetes objects, or implement the Wasm ABI (package runtime/wasm does).
package shim
