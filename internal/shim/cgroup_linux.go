package shim

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/cgroups/v3"
	"github.com/containerd/cgroups/v3/cgroup1"
	"github.com/containerd/cgroups/v3/cgroup2"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// unifiedMount is where the cgroup v2 (unified) hierarchy is mounted.
const unifiedMount = "/sys/fs/cgroup"

// cgroupHost is the node's cgroup setup, read at run time: cgroup v1
// (legacy, or hybrid: the controllers are on the v1 hierarchies) or cgroup
// v2 (unified, mounted at root).
type cgroupHost struct {
	unified bool
	root    string
}

// detectCgroups returns the node's cgroup setup.
//
// # Errors
// No cgroup file system at /sys/fs/cgroup.
func detectCgroups() (cgroupHost, error) { return hostForMode(cgroups.Mode()) }

// hostForMode returns the cgroup setup for a mode cgroups.Mode reports.
func hostForMode(mode cgroups.CGMode) (cgroupHost, error) {
	switch mode {
	case cgroups.Unified:
		return cgroupHost{unified: true, root: unifiedMount}, nil
	case cgroups.Legacy, cgroups.Hybrid:
		return cgroupHost{}, nil
	default:
		return cgroupHost{}, fmt.Errorf("no cgroup file system mounted at %s", unifiedMount)
	}
}

// containerCgroup is one container's cgroup: a cgroup v1 group across the
// v1 hierarchies or a cgroup v2 group, held in a systemd scope unit under
// the systemd driver.
type containerCgroup struct {
	v1   cgroup1.Cgroup   // on cgroup v1
	v2   *cgroup2.Manager // on cgroup v2
	unit string           // the systemd scope unit ("" with the cgroupfs driver)
}

// newCgroup puts pid into the container's cgroup at the spec's cgroupsPath
// (see parseCgroupsPath), with the spec's memory, CPU and pids limits, on
// whatever cgroup version the node runs. Device rules are not applied: the
// runner opens no devices, and a Wasm module cannot. On error it returns
// what it made, for deleteCgroup.
func newCgroup(raw string, s *specs.Spec, pid int) (*containerCgroup, error) {
	h, err := detectCgroups()
	if err != nil {
		return nil, fmt.Errorf("cgroup %s: %w", raw, err)
	}
	return h.create(raw, s, pid)
}

// limits returns the spec's memory, CPU and pids limits.
func limits(s *specs.Spec) *specs.LinuxResources {
	res := &specs.LinuxResources{}
	if s.Linux != nil && s.Linux.Resources != nil {
		r := s.Linux.Resources
		res.Memory, res.CPU, res.Pids = r.Memory, r.CPU, r.Pids
	}
	return res
}

func (h cgroupHost) create(raw string, s *specs.Spec, pid int) (*containerCgroup, error) {
	p, err := parseCgroupsPath(raw)
	if err != nil {
		return nil, err
	}
	res := limits(s)
	cg := &containerCgroup{}
	if p.systemd() {
		if err := startScope(p, pid, res, h.unified); err != nil {
			return nil, err
		}
		cg.unit = p.unit
	}
	if h.unified {
		if cg.v2, err = cgroup2.NewManager(h.root, p.dir, v2Resources(res)); err != nil {
			return cg, fmt.Errorf("create cgroup %s: %w", p.dir, err)
		}
		err = cg.v2.AddProc(uint64(pid))
	} else {
		if cg.v1, err = cgroup1.New(cgroup1.StaticPath(p.dir), res); err != nil {
			return cg, fmt.Errorf("create cgroup %s: %w", p.dir, err)
		}
		err = cg.v1.Add(cgroup1.Process{Pid: pid})
	}
	if err != nil {
		return cg, fmt.Errorf("add process to cgroup %s: %w", p.dir, err)
	}
	return cg, nil
}

// v2Resources is res for cgroup v2. A spec's memory.swap is memory plus
// swap (the v1 memsw limit); cgroup v2's memory.swap.max counts swap alone.
func v2Resources(res *specs.LinuxResources) *cgroup2.Resources {
	r := cgroup2.ToResources(res)
	if m := res.Memory; m != nil && m.Swap != nil && *m.Swap > 0 && r.Memory != nil {
		swap := *m.Swap
		if m.Limit != nil && *m.Limit > 0 {
			swap = max(swap-*m.Limit, 0)
		}
		r.Memory.Swap = &swap
	}
	return r
}

// loadCgroup returns the container's existing cgroup at the spec's
// cgroupsPath, or nil when there is none (or the path is not valid).
func loadCgroup(raw string) *containerCgroup {
	h, err := detectCgroups()
	if err != nil || raw == "" {
		return nil
	}
	return h.load(raw)
}

func (h cgroupHost) load(raw string) *containerCgroup {
	p, err := parseCgroupsPath(raw)
	if err != nil {
		return nil
	}
	cg := &containerCgroup{unit: p.unit}
	if h.unified {
		if _, err := os.Stat(filepath.Join(h.root, p.dir)); err == nil {
			cg.v2, _ = cgroup2.Load(p.dir, cgroup2.WithMountpoint(h.root))
		}
	} else if c, err := cgroup1.Load(cgroup1.StaticPath(p.dir)); err == nil {
		cg.v1 = c
	}
	if cg.v1 == nil && cg.v2 == nil && cg.unit == "" {
		return nil
	}
	return cg
}

// oomTarget is what containerd's OOM watcher for the node's cgroup version
// (pkg/oom/v1 or v2) watches.
func (cg *containerCgroup) oomTarget() any {
	if cg.v2 != nil {
		return cg.v2
	}
	return cg.v1
}

// stats returns the cgroup's metrics: io.containerd.cgroups.v1.Metrics or
// io.containerd.cgroups.v2.Metrics, as runc's shim reports them.
func (cg *containerCgroup) stats() (any, error) {
	switch {
	case cg.v2 != nil:
		return cg.v2.Stat()
	case cg.v1 != nil:
		return cg.v1.Stat(cgroup1.IgnoreNotExist)
	default:
		return nil, fmt.Errorf("no cgroup to read")
	}
}

// processes returns the pids in the cgroup itself.
func (cg *containerCgroup) processes() []int {
	var pids []int
	switch {
	case cg.v2 != nil:
		ps, _ := cg.v2.Procs(false)
		for _, p := range ps {
			pids = append(pids, int(p))
		}
	case cg.v1 != nil:
		ps, _ := cg.v1.Processes(cgroup1.Memory, false)
		for _, p := range ps {
			pids = append(pids, p.Pid)
		}
	}
	return pids
}

// deleteCgroup removes a cgroup whose processes have exited (and stops its
// systemd scope); a cgroup that is already gone is not an error.
func deleteCgroup(cg *containerCgroup) error {
	if cg == nil {
		return nil
	}
	var errs []error
	if cg.unit != "" {
		errs = append(errs, stopScope(cg.unit))
	}
	if cg.v2 != nil {
		if err := cg.v2.Delete(); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("delete cgroup: %w", err))
		}
	}
	if cg.v1 != nil {
		if err := cg.v1.Delete(); err != nil && !errors.Is(err, cgroup1.ErrCgroupDeleted) && !os.IsNotExist(err) {
			errs = append(errs, fmt.Errorf("delete cgroup: %w", err))
		}
	}
	return errors.Join(errs...)
}

// killCgroup SIGKILLs whatever still runs in cg, then removes it, retrying
// until timeout while dying processes leave it.
func killCgroup(cg *containerCgroup, timeout time.Duration) error {
	if cg == nil {
		return nil
	}
	deadline := time.Now().Add(timeout)
	for {
		for _, pid := range cg.processes() {
			unix.Kill(pid, unix.SIGKILL)
		}
		err := deleteCgroup(cg)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
