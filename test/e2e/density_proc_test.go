//go:build e2e

package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// memUse is the memory a process (or a sum of them) uses, in bytes, as
// /proc/PID/smaps_rollup and smaps count it.
type memUse struct {
	rss, pss, privateClean, privateDirty int64
}

// private is what only this process holds: no other process would free it
// by exiting ("unique" memory).
func (m memUse) private() int64 { return m.privateClean + m.privateDirty }

func (m memUse) add(o memUse) memUse {
	return memUse{m.rss + o.rss, m.pss + o.pss, m.privateClean + o.privateClean, m.privateDirty + o.privateDirty}
}

// readRollup reads /proc/PID/smaps_rollup.
func readRollup(pid int) (memUse, error) {
	maps, err := parseSmaps(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
	var total memUse
	for _, m := range maps {
		total = total.add(m)
	}
	return total, err
}

// readSmaps reads /proc/PID/smaps, summed by mapped path (anonymous
// mappings under "").
func readSmaps(pid int) (map[string]memUse, error) {
	return parseSmaps(fmt.Sprintf("/proc/%d/smaps", pid))
}

// parseSmaps parses the smaps format: a header line per mapping (address
// range, permissions, offset, device, inode, optional path) followed by
// "Field: N kB" lines. smaps_rollup has one header for the whole process.
func parseSmaps(path string) (map[string]memUse, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]memUse{}
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
			m.rss += kb << 10
		case "Pss:":
			m.pss += kb << 10
		case "Private_Clean:":
			m.privateClean += kb << 10
		case "Private_Dirty:":
			m.privateDirty += kb << 10
		}
		out[cur] = m
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// processName is the process's comm, "" when it is gone.
func processName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// parentPID is the process's parent, 0 when it is gone.
func parentPID(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// pid (comm) state ppid ...: comm may hold spaces, so split after its ')'.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}

// podProcesses lists the processes of the pod with this UID: every process
// in the pod's cgroup (found under the kubelet's kubepods hierarchy, cgroup
// v1 memory controller or v2, cgroupfs or systemd naming) and the
// containerd shim that is their parent (a shim serves one pod and lives
// outside the pod's cgroup).
func podProcesses(uid string) ([]int, error) {
	names := map[string]bool{"pod" + uid: true}
	systemd := "-pod" + strings.ReplaceAll(uid, "-", "_") + ".slice"
	var dir string
	for _, root := range []string{"/sys/fs/cgroup/memory/kubepods", "/sys/fs/cgroup/kubepods", "/sys/fs/cgroup/kubepods.slice"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			if names[d.Name()] || strings.HasSuffix(d.Name(), systemd) {
				dir = path
				return fs.SkipAll
			}
			return nil
		})
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		if dir != "" {
			break
		}
	}
	if dir == "" {
		return nil, fmt.Errorf("no cgroup of pod %s under kubepods", uid)
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
			pid, err := strconv.Atoi(f)
			if err == nil && !seen[pid] {
				seen[pid] = true
				pids = append(pids, pid)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cgroup of pod %s: %w", uid, err)
	}
	for _, pid := range pids {
		if pp := parentPID(pid); pp > 1 && !seen[pp] && strings.HasPrefix(processName(pp), "containerd-shim") {
			seen[pp] = true
			pids = append(pids, pp)
		}
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("cgroup %s holds no process", dir)
	}
	return pids, nil
}

// TestReadRollupSelf checks the /proc readers on the test process itself
// (no cluster needed): its PSS and unique memory are positive and at most
// its RSS, and its binary's mappings are found by path.
func TestReadRollupSelf(t *testing.T) {
	pid := os.Getpid()
	m, err := readRollup(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.rss <= 0 || m.pss <= 0 || m.pss > m.rss || m.private() <= 0 || m.private() > m.rss {
		t.Fatalf("smaps_rollup of self = %+v", m)
	}
	maps, err := readSmaps(pid)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if maps[exe].rss <= 0 {
		t.Fatalf("smaps of self has no resident pages of %s", exe)
	}
	if pp := parentPID(pid); pp != os.Getppid() {
		t.Fatalf("parentPID = %d, want %d", pp, os.Getppid())
	}
}
