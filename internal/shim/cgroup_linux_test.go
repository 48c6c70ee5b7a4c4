package shim

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/cgroups/v3"
	v2stats "github.com/containerd/cgroups/v3/cgroup2/stats"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestHostForMode(t *testing.T) {
	for _, tc := range []struct {
		mode    cgroups.CGMode
		want    cgroupHost
		wantErr bool
	}{
		{cgroups.Legacy, cgroupHost{}, false},
		{cgroups.Hybrid, cgroupHost{}, false}, // the controllers are on v1
		{cgroups.Unified, cgroupHost{unified: true, root: "/sys/fs/cgroup"}, false},
		{cgroups.Unavailable, cgroupHost{}, true},
	} {
		h, err := hostForMode(tc.mode)
		if (err != nil) != tc.wantErr || h != tc.want {
			t.Errorf("hostForMode(%d) = %+v, %v; want %+v, error %v", tc.mode, h, err, tc.want, tc.wantErr)
		}
	}
	if _, err := detectCgroups(); err != nil {
		testenv.Missing(t, err)
	}
}

func TestScopeProperties(t *testing.T) {
	p, err := parseCgroupsPath("kubepods-burstable-pod1.slice:cri-containerd:abc")
	if err != nil {
		t.Fatal(err)
	}
	mem, shares, quota, period := int64(64<<20), uint64(512), int64(25000), uint64(100000)
	res := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &mem},
		CPU:    &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period},
		Pids:   &specs.LinuxPids{Limit: 100},
	}
	common := map[string]any{
		"Description": "faaswasm container cri-containerd-abc.scope", "Slice": "kubepods-burstable-pod1.slice",
		"PIDs": []uint32{42}, "DefaultDependencies": false, "Delegate": true,
		"MemoryAccounting": true, "CPUAccounting": true, "TasksAccounting": true,
		"CPUQuotaPerSecUSec": uint64(250000), "TasksMax": uint64(100),
	}
	for _, tc := range []struct {
		name    string
		unified bool
		res     *specs.LinuxResources
		extra   map[string]any
	}{
		{"cgroup v1", false, res, map[string]any{"MemoryLimit": uint64(64 << 20), "CPUShares": uint64(512)}},
		{"cgroup v2", true, res, map[string]any{"MemoryMax": uint64(64 << 20), "CPUWeight": uint64(20)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]any{}
			for _, prop := range scopeProperties(p, 42, tc.res, tc.unified) {
				got[prop.Name] = prop.Value.Value()
			}
			want := map[string]any{}
			for k, v := range common {
				want[k] = v
			}
			for k, v := range tc.extra {
				want[k] = v
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("properties\n got %v\nwant %v", got, want)
			}
		})
	}
	t.Run("no limits", func(t *testing.T) {
		for _, prop := range scopeProperties(p, 42, &specs.LinuxResources{}, true) {
			switch prop.Name {
			case "MemoryMax", "MemoryLimit", "CPUWeight", "CPUShares", "CPUQuotaPerSecUSec", "TasksMax":
				t.Errorf("limit %s = %v without a limit in the spec", prop.Name, prop.Value)
			}
		}
	})
}

func TestCPUQuotaPerSecUSec(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	u64 := func(v uint64) *uint64 { return &v }
	for _, tc := range []struct {
		quota  *int64
		period *uint64
		want   uint64
	}{
		{nil, nil, 0},
		{i64(-1), u64(100000), 0}, // unlimited
		{i64(0), u64(100000), 0},
		{i64(50000), u64(100000), 500000},
		{i64(50000), nil, 500000}, // the kernel's default period
		{i64(1000), u64(100000), 10000},
		{i64(1001), u64(100000), 20000}, // rounded up to 10 ms
		{i64(150000), u64(50000), 3000000},
		{i64(math.MaxInt64), u64(100000), math.MaxUint64},
	} {
		if got := cpuQuotaPerSecUSec(tc.quota, tc.period); got != tc.want {
			t.Errorf("quota %v period %v: got %d, want %d", tc.quota, tc.period, got, tc.want)
		}
	}
}

func TestV2Resources(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	for _, tc := range []struct {
		name        string
		limit, swap *int64
		want        *int64
	}{
		{"no swap", i64(100), nil, nil},
		{"swap equal to the limit: no swap", i64(100), i64(100), i64(0)},
		{"memory+swap above the limit", i64(100), i64(300), i64(200)},
		{"unlimited swap", i64(100), i64(-1), i64(-1)},
		{"swap without a limit", nil, i64(300), i64(300)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := v2Resources(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: tc.limit, Swap: tc.swap}})
			if !reflect.DeepEqual(r.Memory.Swap, tc.want) || !reflect.DeepEqual(r.Memory.Max, tc.limit) {
				t.Errorf("memory %+v, want max %v swap %v", r.Memory, tc.limit, tc.want)
			}
		})
	}
}

// unifiedHierarchy returns a cgroup v2 hierarchy to test in: the node's, or
// on a cgroup v1 node a private mount of the v2 hierarchy (it holds no
// controllers there, so tests there set no limits).
func unifiedHierarchy(t *testing.T) cgroupHost {
	t.Helper()
	if h, err := detectCgroups(); err == nil && h.unified {
		return h
	}
	dir := t.TempDir()
	if err := unix.Mount("none", dir, "cgroup2", 0, ""); err != nil {
		testenv.Missingf(t, "mount a cgroup2 hierarchy (root needed): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	return cgroupHost{unified: true, root: dir}
}

// TestCgroupV2 runs a process in a real cgroup v2 group made from a
// cgroupfs path and reads, loads, kills and removes it as the shim does.
func TestCgroupV2(t *testing.T) {
	h := unifiedHierarchy(t)
	parent := fmt.Sprintf("/faaswasm-test-%d", os.Getpid())
	raw := parent + "/c1"
	t.Cleanup(func() { os.Remove(filepath.Join(h.root, raw)); os.Remove(filepath.Join(h.root, parent)) })
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })

	cg, err := h.create(raw, &specs.Spec{}, cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	procs, _ := os.ReadFile(filepath.Join(h.root, raw, "cgroup.procs"))
	if !strings.Contains(string(procs), strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("cgroup.procs %q lacks pid %d", procs, cmd.Process.Pid)
	}
	if got := cg.processes(); !reflect.DeepEqual(got, []int{cmd.Process.Pid}) {
		t.Errorf("processes() = %v", got)
	}
	m, err := cg.stats()
	if _, ok := m.(*v2stats.Metrics); err != nil || !ok {
		t.Errorf("stats() = %T, %v; want *v2stats.Metrics", m, err)
	}
	if cg.oomTarget() != any(cg.v2) {
		t.Errorf("oomTarget() = %T, want the v2 manager (containerd's pkg/oom/v2 watches it)", cg.oomTarget())
	}
	loaded := h.load(raw)
	if loaded == nil || loaded.v2 == nil || loaded.unit != "" {
		t.Fatalf("load(%q) = %+v", raw, loaded)
	}
	if err := killCgroup(loaded, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || ws.Signal() != syscall.SIGKILL {
			t.Errorf("process ended with %v, want SIGKILL", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the process survived killCgroup")
	}
	if _, err := os.Stat(filepath.Join(h.root, raw)); !os.IsNotExist(err) {
		t.Errorf("cgroup left behind: %v", err)
	}
	if err := deleteCgroup(cg); err != nil {
		t.Errorf("deleting a removed cgroup: %v", err)
	}
	if got := h.load(raw); got != nil {
		t.Errorf("load of a removed cgroup = %+v", got)
	}
}

// TestCgroupCreateRefuses: a malformed cgroups path is a clear error and
// leaves nothing behind, on either cgroup version.
func TestCgroupCreateRefuses(t *testing.T) {
	for _, h := range []cgroupHost{{}, {unified: true, root: t.TempDir()}} {
		for _, raw := range []string{"kubepods.slice:cri-containerd", "kubepods:cri-containerd:abc", "/a/../../b"} {
			cg, err := h.create(raw, &specs.Spec{}, os.Getpid())
			if err == nil || cg != nil || !strings.Contains(err.Error(), strconv.Quote(raw)) {
				t.Errorf("unified=%v create(%q) = %+v, %v; want an error naming the path", h.unified, raw, cg, err)
			}
		}
	}
}
