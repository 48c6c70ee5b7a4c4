// Package procmem reads how much memory processes use from /proc (RSS,
// PSS and private pages from smaps and smaps_rollup), and their CPU time,
// and finds the processes of a Kubernetes pod on its node: those in the
// pod's cgroup and the containerd shim that serves them. The density and
// load tests (test/e2e) and hack/shim/podbench measure pods with it; it
// needs a Linux /proc and, for other users' processes, root.
package procmem

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Use is the memory a process (or a sum of processes) uses, in bytes, as
// smaps counts it.
type Use struct {
	RSS, PSS, PrivateClean, PrivateDirty int64
	// Anonymous is memory no file backs: heaps, stacks and copied-on-write
	// pages of private file mappings. Unlike Private, it does not count the
	// pages of a file (a binary) that only this process happens to map, so
	// on a machine running one pod it approximates what each of many pods
	// of the kind would hold on its own.
	Anonymous int64
}

// Private is what only this process holds, what would be freed if it
// exited ("unique" memory): Private_Clean + Private_Dirty.
func (u Use) Private() int64 { return u.PrivateClean + u.PrivateDirty }

// Add returns the sum of u and o.
func (u Use) Add(o Use) Use {
	return Use{u.RSS + o.RSS, u.PSS + o.PSS, u.PrivateClean + o.PrivateClean, u.PrivateDirty + o.PrivateDirty, u.Anonymous + o.Anonymous}
}

// Share returns u split evenly among n holders (n ≥ 1): what each of n
// pods served by one shared process counts of it.
func (u Use) Share(n int64) Use {
	n = max(n, 1)
	return Use{u.RSS / n, u.PSS / n, u.PrivateClean / n, u.PrivateDirty / n, u.Anonymous / n}
}

// Rollup reads /proc/PID/smaps_rollup: the process's whole memory.
func Rollup(pid int) (Use, error) {
	maps, err := parseSmaps(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	var total Use
	for _, m := range maps {
		total = total.Add(m)
	}
	return total, err
}

// Mappings reads /proc/PID/smaps summed by mapped file path (anonymous
// mappings under "", others under their pseudo-path such as "[heap]").
func Mappings(pid int) (map[string]Use, error) {
	return parseSmaps(fmt.Sprintf("/proc/%d/smaps", pid))
}

// parseSmaps parses the smaps format: a header line per mapping (address
// range, permissions, offset, device, inode, optional path) followed by
// "Field: N kB" lines. smaps_rollup has one header for the whole process.
func parseSmaps(path string) (map[string]Use, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]Use{}
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if !strings.HasSuffix(fields[0], ":") {
			cur = ""
			if len(fields) >= 6 {
				cur = fields[5]
			}
			continue
		}
		if len(fields) != 3 || fields[2] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %q: %w", path, sc.Text(), err)
		}
		m := out[cur]
		switch fields[0] {
		case "Rss:":
			m.RSS += kb << 10
		case "Pss:":
			m.PSS += kb << 10
		case "Private_Clean:":
			m.PrivateClean += kb << 10
		case "Private_Dirty:":
			m.PrivateDirty += kb << 10
		case "Anonymous:":
			m.Anonymous += kb << 10
		}
		out[cur] = m
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// Name is the process's comm, "" when it is gone.
func Name(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// ParentPID is the process's parent, 0 when it is gone.
func ParentPID(pid int) int {
	f, err := stat(pid)
	if err != nil {
		return 0
	}
	ppid, _ := strconv.Atoi(f[statPPID])
	return ppid
}

// CPUTime is the CPU time, user and system, that the process's threads
// have used so far (exited threads included), in /proc's ticks of 10 ms.
func CPUTime(pid int) (time.Duration, error) {
	f, err := stat(pid)
	if err != nil {
		return 0, err
	}
	var ticks int64
	for _, v := range f[statUTime : statSTime+1] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// Fields of /proc/PID/stat after the comm (proc(5) numbers them from 1:
// ppid is its field 4, utime 14, stime 15).
const (
	statPPID  = 4 - 3
	statUTime = 14 - 3
	statSTime = 15 - 3
)

// stat returns the fields of /proc/PID/stat that follow the comm, which
// may hold spaces and parentheses: the fields start after its last ')'.
func stat(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	return statFields(pid, string(b))
}

func statFields(pid int, s string) ([]string, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return nil, fmt.Errorf("/proc/%d/stat: no comm", pid)
	}
	f := strings.Fields(s[i+1:])
	if len(f) <= statSTime {
		return nil, fmt.Errorf("/proc/%d/stat: %d fields after the comm", pid, len(f))
	}
	return f, nil
}

// kubepodsRoots are where the kubelet's pod cgroups live: cgroup v1 (the
// memory controller's hierarchy) and v2, cgroupfs and systemd drivers.
var kubepodsRoots = []string{"/sys/fs/cgroup/memory/kubepods", "/sys/fs/cgroup/kubepods", "/sys/fs/cgroup/kubepods.slice"}

// PodPIDs lists the processes in the cgroup of the pod with this UID
// (pause and the containers' processes), found under the kubelet's
// kubepods hierarchy: pod<uid> with the cgroupfs driver,
// *-pod<uid with _ for ->.slice with the systemd driver.
func PodPIDs(uid string) ([]int, error) {
	return podPIDs(uid, kubepodsRoots)
}

func podPIDs(uid string, roots []string) ([]int, error) {
	cgroupfs := "pod" + uid
	systemd := "-pod" + strings.ReplaceAll(uid, "-", "_") + ".slice"
	var dir string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if d.Name() == cgroupfs || strings.HasSuffix(d.Name(), systemd) {
				dir = path
				return fs.SkipAll
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("pod %s: %w", uid, err)
		}
		if dir != "" {
			break
		}
	}
	if dir == "" {
		return nil, fmt.Errorf("pod %s: no cgroup under %s", uid, strings.Join(roots, ", "))
	}
	var pids []int
	seen := map[int]bool{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "cgroup.procs" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, f := range strings.Fields(string(b)) {
			if pid, err := strconv.Atoi(f); err == nil && !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pod %s: cgroup %s: %w", uid, dir, err)
	}
	return pids, nil
}

// Shims returns the containerd shims (processes named containerd-shim*)
// that are parents of pids and not among them: a pod's shim lives outside
// the pod's cgroup, and each pod has its own.
func Shims(pids []int) []int {
	in := map[int]bool{}
	for _, pid := range pids {
		in[pid] = true
	}
	var shims []int
	for _, pid := range pids {
		if pp := ParentPID(pid); pp > 1 && !in[pp] && strings.HasPrefix(Name(pp), "containerd-shim") {
			in[pp] = true
			shims = append(shims, pp)
		}
	}
	return shims
}
