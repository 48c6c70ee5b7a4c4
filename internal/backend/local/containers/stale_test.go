package containers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// reapStaleRuns removes the bridges and runc state dirs that earlier runs
// of these tests left behind when their binary died before TestMain could
// clean up (a panic, os.Exit in a dependency): both are named fwt<pid>-<n>
// after the test process, and are deleted when that process is gone. The
// daemons' dirs, shims and mounts of such runs are containerdtest's.
func reapStaleRuns() {
	dead := func(name string) bool {
		pidPart, _, ok := strings.Cut(strings.TrimPrefix(name, "fwt"), "-")
		pid, err := strconv.Atoi(pidPart)
		if !ok || err != nil || pid == os.Getpid() {
			return false
		}
		_, err = os.Stat(filepath.Join("/proc", pidPart))
		return os.IsNotExist(err)
	}
	links, _ := filepath.Glob("/sys/class/net/fwt*")
	for _, l := range links {
		if name := filepath.Base(l); dead(name) {
			_ = exec.Command("ip", "link", "del", name).Run()
		}
	}
	states, _ := filepath.Glob("/run/containerd/runc/fwt*")
	for _, d := range states {
		if dead(filepath.Base(d)) {
			os.RemoveAll(d)
		}
	}
}
