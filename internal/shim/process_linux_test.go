package shim

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// threads returns this process's OS thread count.
func threads(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "Threads:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no Threads line in /proc/self/status")
	return 0
}

// TestWaitProcessHoldsNoThread: waiting for many children costs no OS
// thread each, and every wait ends with the child's exit status once it
// exits. Regression: the shim waited with exec.Cmd.Wait, a thread blocked
// in wait4 per runner and pause process (a daemon serving 20 pods had 48
// threads).
func TestWaitProcessHoldsNoThread(t *testing.T) {
	const n = 24
	before := threads(t)
	cmds := make([]*exec.Cmd, n)
	var wg sync.WaitGroup
	for i := range cmds {
		cmd := exec.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds[i] = cmd
		wg.Go(func() { waitProcess(cmd) })
	}
	t.Cleanup(func() {
		for _, c := range cmds {
			c.Process.Kill()
		}
		wg.Wait()
	})
	time.Sleep(300 * time.Millisecond)
	if grown := threads(t) - before; grown > n/3 {
		t.Errorf("%d threads more while waiting for %d children, want ≤ %d", grown, n, n/3)
	}
	for _, c := range cmds {
		c.Process.Signal(syscall.SIGTERM)
	}
	wg.Wait()
	for i, c := range cmds {
		if got := exitStatus(c.ProcessState); got != 128+uint32(syscall.SIGTERM) {
			t.Errorf("child %d: exit status %d, want %d", i, got, 128+syscall.SIGTERM)
		}
	}
}
