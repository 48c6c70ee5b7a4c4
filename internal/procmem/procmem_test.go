package procmem

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSelf reads the test process's own memory: PSS and private memory
// are positive and at most its RSS, and its binary's mapping is found by
// path.
func TestSelf(t *testing.T) {
	pid := os.Getpid()
	m, err := Rollup(pid)
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.PSS <= 0 || m.PSS > m.RSS || m.Private() <= 0 || m.Private() > m.RSS || m.Anonymous <= 0 || m.Anonymous > m.RSS {
		t.Fatalf("Rollup(self) = %+v", m)
	}
	maps, err := Mappings(pid)
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if maps[exe].RSS <= 0 {
		t.Fatalf("Mappings(self) has no resident pages of %s", exe)
	}
	var sum Use
	for _, u := range maps {
		sum = sum.Add(u)
	}
	if sum.RSS <= 0 || sum.PSS > sum.RSS {
		t.Fatalf("Mappings(self) summed = %+v", sum)
	}
	if pp := ParentPID(pid); pp != os.Getppid() {
		t.Fatalf("ParentPID = %d, want %d", pp, os.Getppid())
	}
	if Name(pid) == "" {
		t.Fatal("Name(self) is empty")
	}
}

// TestCPUTime: the test process's CPU time grows while it computes. It
// computes until CPUTime has grown by 50 ms rather than for a fixed wall
// time, so a busy machine that gives it less than a core only makes it
// take longer; it fails if 10 s of computing do not get there.
func TestCPUTime(t *testing.T) {
	before, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	x := uint64(1)
	for deadline := time.Now().Add(10 * time.Second); ; {
		for range 1 << 20 {
			x = x*6364136223846793005 + 1
		}
		now, err := CPUTime(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if now >= before+50*time.Millisecond {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPUTime went from %v to %v over 10 s of computing (%d)", before, now, x)
		}
	}
}

// TestStatFields: the fields after a comm holding spaces and parentheses,
// and a line too short or without a comm refused.
func TestStatFields(t *testing.T) {
	f, err := statFields(7, "7 (a) b (c) S 1 7 7 0 -1 4194560 100 0 0 0 25 12 0 0 20 0 1 0")
	if err != nil {
		t.Fatal(err)
	}
	if f[statPPID] != "1" || f[statUTime] != "25" || f[statSTime] != "12" {
		t.Errorf("ppid, utime, stime = %s, %s, %s; want 1, 25, 12", f[statPPID], f[statUTime], f[statSTime])
	}
	for _, bad := range []string{"7 a S 1", "7 (a) S 1 7"} {
		if _, err := statFields(7, bad); err == nil {
			t.Errorf("statFields(%q): no error", bad)
		}
	}
}

// TestShare: a shared process's memory splits evenly, and a count below
// one is taken as one.
func TestShare(t *testing.T) {
	u := Use{RSS: 400, PSS: 200, PrivateClean: 40, PrivateDirty: 80, Anonymous: 100}
	if got, want := u.Share(4), (Use{100, 50, 10, 20, 25}); got != want {
		t.Errorf("Share(4) = %+v, want %+v", got, want)
	}
	if got := u.Share(0); got != u {
		t.Errorf("Share(0) = %+v, want %+v", got, u)
	}
}

// TestGone: a process that does not exist has an error, no name, no parent.
func TestGone(t *testing.T) {
	const pid = 1 << 30 // above pid_max
	if _, err := Rollup(pid); err == nil {
		t.Error("Rollup of a missing process: no error")
	}
	if Name(pid) != "" || ParentPID(pid) != 0 {
		t.Error("a missing process has a name or a parent")
	}
	if _, err := CPUTime(pid); err == nil {
		t.Error("CPUTime of a missing process: no error")
	}
}

// TestPodPIDs finds a pod's processes in a cgroup tree laid out like the
// kubelet's with either driver, and refuses an unknown pod.
func TestPodPIDs(t *testing.T) {
	const uid = "0f1e2d3c-aaaa-bbbb-cccc-123456789abc"
	for _, podDir := range []string{
		"kubepods/burstable/pod" + uid,
		"kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_aaaa_bbbb_cccc_123456789abc.slice",
	} {
		root := t.TempDir()
		for dir, procs := range map[string]string{
			podDir:                           "",
			podDir + "/pause":                "11\n",
			podDir + "/container1":           "12\n13\n",
			"kubepods/besteffort/podother/c": "99\n",
		} {
			if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, dir, "cgroup.procs"), []byte(procs), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		roots := []string{filepath.Join(root, "missing"), filepath.Join(root, "kubepods"), filepath.Join(root, "kubepods.slice")}
		pids, err := podPIDs(uid, roots)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(pids)
		if !slices.Equal(pids, []int{11, 12, 13}) {
			t.Errorf("%s: pids = %v, want [11 12 13]", podDir, pids)
		}
		if _, err := podPIDs("nope", roots); err == nil {
			t.Errorf("%s: an unknown pod: no error", podDir)
		}
	}
}

// TestShims finds a child's parent when it is named containerd-shim*
// (a script of that name starting a sleep) and no shim for the test
// process, whose parent is go test.
func TestShims(t *testing.T) {
	if s := Shims([]int{os.Getpid()}); len(s) != 0 {
		t.Errorf("Shims(self) = %v", s)
	}
	script := filepath.Join(t.TempDir(), "containerd-shim-fake")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 60 &\necho $!\nwait\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(script)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	child, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(child, syscall.SIGKILL)
		cmd.Wait()
	})
	if s := Shims([]int{child}); !slices.Equal(s, []int{cmd.Process.Pid}) {
		t.Errorf("Shims(sleep) = %v, want [%d] (its parent %q)", s, cmd.Process.Pid, Name(ParentPID(child)))
	}
	if s := Shims([]int{child, cmd.Process.Pid}); len(s) != 0 {
		t.Errorf("Shims(sleep, its parent) = %v: the parent is in the set", s)
	}
}
