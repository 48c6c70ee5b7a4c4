package wasm

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"unsafe"

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

// dirtyGuest checks that it starts from its image ("image" at 0) and zeros
// (at 320 KiB) — faas_handle returns 1 or 2 otherwise — and then writes to
// every host page of its first MiB.
const dirtyGuest = `(module
  (memory (export "memory") 32)
  (data (i32.const 0) "image")
  (func (export "faas_handle") (result i32)
    (local $p i32)
    (if (i32.ne (i32.load8_u (i32.const 0)) (i32.const 105)) (then (return (i32.const 1))))
    (if (i32.ne (i32.load8_u (i32.const 327680)) (i32.const 0)) (then (return (i32.const 2))))
    (loop $l
      (i32.store8 (local.get $p) (i32.const 255))
      (local.set $p (i32.add (local.get $p) (i32.const 4096)))
      (br_if $l (i32.lt_u (local.get $p) (i32.const 1048576))))
    (i32.const 0)))`

// residentKB sums the Rss of this process's mappings that overlap the n
// bytes at base.
func residentKB(t *testing.T, base unsafe.Pointer, n uint64) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := uint64(uintptr(base)), uint64(uintptr(base))+n
	var kb int64
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if start, end, ok := strings.Cut(f[0], "-"); ok && !strings.HasSuffix(f[0], ":") {
			a, err1 := strconv.ParseUint(start, 16, 64)
			z, err2 := strconv.ParseUint(end, 16, 64)
			in = err1 == nil && err2 == nil && a < hi && z > lo
			continue
		}
		if in && f[0] == "Rss:" {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			kb += v
		}
	}
	return kb
}

// TestReleaseMemory: after a call the pool slot keeps the pages the guest
// wrote resident; ReleaseMemory gives them back, refuses while a (warm)
// instance exists, and the next instance starts from the image and zeros
// as before.
func TestReleaseMemory(t *testing.T) {
	e := newEngineT(t, t.TempDir(), WithPoolSize(4))
	m, err := e.Compile(context.Background(), wat(t, dirtyGuest))
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.NewFunction(m, Config{Name: "fresh", MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if _, err := call(fresh, "", ""); err != nil {
		t.Fatal(err)
	}
	var bases []unsafe.Pointer
	e.memories.Range(func(k, _ any) bool { bases = append(bases, k.(unsafe.Pointer)); return true })
	if len(bases) != 1 {
		t.Fatalf("%d pool slots recorded after one call, want 1", len(bases))
	}
	if kb := residentKB(t, bases[0], DefaultKeepResident); kb < 1024 {
		t.Fatalf("%d KiB resident in the slot after a call that wrote 1 MiB", kb)
	}

	warm, err := e.NewFunction(m, Config{Name: "warm", Mode: ModeWarm, MaxConcurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := call(warm, "", ""); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.ReleaseMemory(); ok || err != nil {
		t.Fatalf("ReleaseMemory with a warm instance kept = %v, %v; want false", ok, err)
	}
	warm.Close()

	if ok, err := e.ReleaseMemory(); !ok || err != nil {
		t.Fatalf("ReleaseMemory = %v, %v", ok, err)
	}
	for _, base := range bases {
		if kb := residentKB(t, base, DefaultKeepResident); kb != 0 {
			t.Errorf("%d KiB still resident in the slot at %p after ReleaseMemory", kb, base)
		}
	}
	for range 3 { // the guest fails unless it starts from its image and zeros
		if _, err := call(fresh, "", ""); err != nil {
			t.Fatalf("call after ReleaseMemory: %v", err)
		}
	}
	e.Close()
	if ok, err := e.ReleaseMemory(); ok || err != nil {
		t.Fatalf("ReleaseMemory after Close = %v, %v; want false", ok, err)
	}
}
