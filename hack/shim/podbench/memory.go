package main

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/faas-wasm/faas-wasm/internal/procmem"
)

func resourceMi(n int64) resource.Quantity { return *resource.NewQuantity(n<<20, resource.BinarySI) }

// podMemory sums the RSS of every process in the pod's cgroup (pause and
// the containers) and, separately, of the containerd shims that are their
// parents outside the pod.
func podMemory(pod *corev1.Pod) (podRSS, shimRSS float64) {
	pids, err := procmem.PodPIDs(string(pod.UID))
	if err != nil {
		return 0, 0
	}
	return rssMiB(pids), rssMiB(procmem.Shims(pids))
}

// rssMiB sums the RSS of pids in MiB (processes gone count 0).
func rssMiB(pids []int) float64 {
	var total int64
	for _, pid := range pids {
		u, _ := procmem.Rollup(pid)
		total += u.RSS
	}
	return float64(total) / (1 << 20)
}
