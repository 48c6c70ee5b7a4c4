package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func resourceMi(n int64) resource.Quantity { return *resource.NewQuantity(n<<20, resource.BinarySI) }

// rssMiB reads VmRSS of pid in MiB (0 when gone).
func rssMiB(pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

func parentPid(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(f[1])
	return n
}

// podMemory sums the RSS of every process in the pod's memory cgroups
// (pause and the containers, cgroupfs driver: kubepods[/qos]/pod<uid>) and,
// separately, of their distinct parents outside the pod (the shims).
func podMemory(pod *corev1.Pod) (podRSS, shimRSS float64) {
	var dirs []string
	for _, pattern := range []string{
		"/sys/fs/cgroup/memory/kubepods/pod%s/*/cgroup.procs",
		"/sys/fs/cgroup/memory/kubepods/*/pod%s/*/cgroup.procs",
	} {
		m, _ := filepath.Glob(fmt.Sprintf(pattern, pod.UID))
		dirs = append(dirs, m...)
	}
	inPod := map[int]bool{}
	for _, f := range dirs {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(l); err == nil {
				inPod[pid] = true
			}
		}
	}
	shims := map[int]bool{}
	for pid := range inPod {
		podRSS += rssMiB(pid)
		if pp := parentPid(pid); pp > 1 && !inPod[pp] {
			shims[pp] = true
		}
	}
	for pid := range shims {
		shimRSS += rssMiB(pid)
	}
	return podRSS, shimRSS
}
