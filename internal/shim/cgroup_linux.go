package shim

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/containerd/cgroups/v3/cgroup1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// newCgroup creates (or loads) the container's cgroup v1 at path with the
// spec's memory, CPU and pids limits. Device rules are not applied: the
// runner opens no devices, and a Wasm module cannot.
func newCgroup(path string, s *specs.Spec) (cgroup1.Cgroup, error) {
	res := &specs.LinuxResources{}
	if s.Linux != nil && s.Linux.Resources != nil {
		r := s.Linux.Resources
		res.Memory, res.CPU, res.Pids = r.Memory, r.CPU, r.Pids
	}
	cg, err := cgroup1.New(cgroup1.StaticPath(path), res)
	if err != nil {
		return nil, fmt.Errorf("create cgroup %s: %w", path, err)
	}
	return cg, nil
}

// deleteCgroup removes a cgroup whose processes have exited; a cgroup that
// is already gone is not an error.
func deleteCgroup(cg cgroup1.Cgroup) error {
	if cg == nil {
		return nil
	}
	if err := cg.Delete(); err != nil && !errors.Is(err, cgroup1.ErrCgroupDeleted) && !os.IsNotExist(err) {
		return fmt.Errorf("delete cgroup: %w", err)
	}
	return nil
}

// killCgroup SIGKILLs whatever still runs in cg, then removes it, retrying
// until timeout while dying processes leave it.
func killCgroup(cg cgroup1.Cgroup, timeout time.Duration) error {
	if cg == nil {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for {
		if procs, err := cg.Processes(cgroup1.Memory, false); err == nil {
			for _, p := range procs {
				unix.Kill(p.Pid, unix.SIGKILL)
			}
		}
		err := deleteCgroup(cg)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// loadCgroup returns the existing cgroup at path, or nil when there is none.
func loadCgroup(path string) cgroup1.Cgroup {
	if path == "" {
		return nil
	}
	cg, err := cgroup1.Load(cgroup1.StaticPath(path))
	if err != nil {
		return nil
	}
	return cg
}
