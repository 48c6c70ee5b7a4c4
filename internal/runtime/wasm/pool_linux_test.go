package wasm

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPoolingFits(t *testing.T) {
	cases := []struct {
		slots int
		limit uint64
		ok    bool
	}{
		{256, unix.RLIM_INFINITY, true},
		{256, 4 << 40, true},
		{256, 1 << 40, false},
		{1, 16 << 30, true},
		{1, 8 << 30, false},
	}
	for _, c := range cases {
		if err := poolingFits(c.slots, c.limit); (err == nil) != c.ok {
			t.Errorf("poolingFits(%d, %d) = %v, want ok=%v", c.slots, c.limit, err, c.ok)
		}
	}
}

// TestPoolingFallback runs an engine in a child process whose address space
// is limited below what the pool reserves: the engine must fall back to
// on-demand allocation (not abort) and still run functions.
func TestPoolingFallback(t *testing.T) {
	if os.Getenv("FAAS_WASM_POOL_CHILD") == "1" {
		lim := unix.Rlimit{Cur: 64 << 30, Max: 64 << 30}
		if err := unix.Setrlimit(unix.RLIMIT_AS, &lim); err != nil {
			t.Fatal(err)
		}
		e := newEngineT(t, t.TempDir())
		if e.Pooling() {
			t.Fatal("pooling on despite RLIMIT_AS")
		}
		m, err := e.Compile(context.Background(), cGuest)
		if err != nil {
			t.Fatal(err)
		}
		invokeEcho(t, e, m)
		t.Log("CHILD-OK")
		return
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run", "^TestPoolingFallback$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "FAAS_WASM_POOL_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CHILD-OK") {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "pooling allocator unavailable") {
		t.Errorf("child did not log the fallback:\n%s", out)
	}
}
