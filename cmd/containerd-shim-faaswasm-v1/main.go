// Command containerd-shim-faaswasm-v1 is faas-wasm's containerd runtime v2
// shim (runtime type io.containerd.faaswasm.v1): it runs a Wasm container's
// module with runtime/wasm in a separate faaswasm-runner process, and holds
// the pod sandbox's namespaces with the pod's pause binary, one daemon per
// pod. See package shim.
//
// containerd starts it; install it on containerd's PATH with
// hack/image/nodeinstaller (the chart's node installer).
package main

import (
	"context"

	shimlib "github.com/containerd/containerd/runtime/v2/shim"
	"github.com/faas-wasm/faas-wasm/internal/shim"
)

func main() {
	shim.Register()
	// The task service reaps its runner with exec.Cmd.Wait; the library's
	// reaper would race it.
	shimlib.RunManager(context.Background(), shim.NewManager(), func(c *shimlib.Config) { c.NoReaper = true })
}
