package shim

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	coci "github.com/containerd/containerd/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/procmem"
)

// idlePod is one pod started as the CRI plugin starts it: its processes
// (shim, sandbox, function) by role.
type idlePod struct {
	kind string
	pids map[string]int // "shim", "pause", "function"
}

// startIdlePod starts a sandbox and prime-numbers in it under runtime rt
// (image: the function's image), calls the function once and returns the
// pod's processes.
func startIdlePod(t *testing.T, h *harness, kind, rt, image string) idlePod {
	t.Helper()
	podNet := netns(t)
	id := "mem-" + kind
	sandbox := h.newContainer(t, id, "pause", rt, podNet,
		coci.WithAnnotations(map[string]string{AnnotationContainerType: containerTypeSandbox, AnnotationSandboxID: id}),
		coci.WithHostname(id))
	sbTask := startTask(t, sandbox, nil)
	proc := fmt.Sprintf("/proc/%d/ns/", sbTask.Pid())
	fn := h.newContainer(t, id+"-fn", image, rt, proc+"net",
		coci.WithAnnotations(map[string]string{AnnotationContainerType: "container", AnnotationSandboxID: id}),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.IPCNamespace, Path: proc + "ipc"}),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.UTSNamespace, Path: proc + "uts"}),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.PIDNamespace, Path: proc + "pid"}))
	fnTask := startTask(t, fn, nil)
	if err := waitStatus(nsClient(podNet), "/?n=1000", 60*time.Second); err != nil {
		t.Fatalf("%s pod: %v", kind, err)
	}
	shim := ppid(int(fnTask.Pid()))
	if s := ppid(int(sbTask.Pid())); s != shim {
		t.Fatalf("%s pod: sandbox shim %d, function shim %d", kind, s, shim)
	}
	return idlePod{kind: kind, pids: map[string]int{"shim": shim, "pause": int(sbTask.Pid()), "function": int(fnTask.Pid())}}
}

// anonymous reads a process's memory and names its largest anonymous
// parts by mapping. Its Anonymous memory is what N pods of the kind would
// not share (heaps, stacks, copied-on-write pages); its Private memory
// also counts the pages of the binaries that only this pod maps here.
func anonymous(t *testing.T, pid int) (procmem.Use, string) {
	t.Helper()
	total, err := procmem.Rollup(pid)
	if err != nil {
		t.Fatalf("pid %d: %v", pid, err)
	}
	m, err := procmem.Mappings(pid)
	if err != nil {
		t.Fatalf("pid %d: %v", pid, err)
	}
	paths := slices.SortedFunc(maps.Keys(m), func(a, b string) int { return cmp.Compare(m[b].Anonymous, m[a].Anonymous) })
	var top []string
	for _, p := range paths[:min(3, len(paths))] {
		name := p
		if name == "" {
			name = "anonymous mappings"
		}
		top = append(top, fmt.Sprintf("%s %.2f", name, mib(m[p].Anonymous)))
	}
	return total, strings.Join(top, ", ")
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// TestIdlePodMemory starts a Wasm pod under this shim and its native twin
// under runc's shim the way the CRI plugin does (pause sandbox + function,
// one shim per pod), calls each once, lets them idle past the runner's
// idle release (the harness sets FAASWASM_IDLE_RELEASE=1s), and logs each
// process's anonymous memory — what each of many such pods would hold on
// its own, as TestKubernetesDensity's unique memory counts it on a node —
// with its largest mappings. The idle runner must have given back its
// pool slot's pages: it held 7.7 MiB anonymous before the release existed
// (5 MiB of them the Go guest's pages), 2.7 MiB after.
func TestIdlePodMemory(t *testing.T) {
	h := requireHarness(t)
	pods := []idlePod{
		startIdlePod(t, h, "wasm", RuntimeType, "prime-wasm"),
		startIdlePod(t, h, "container", "io.containerd.runc.v2", "prime-native"),
	}
	time.Sleep(3 * time.Second)
	for _, p := range pods {
		var sum int64
		for _, role := range []string{"shim", "pause", "function"} {
			u, top := anonymous(t, p.pids[role])
			sum += u.Anonymous
			t.Logf("%s %s (%s, pid %d): anonymous %.2f MiB, private %.2f, RSS %.2f; largest: %s",
				p.kind, role, procmem.Name(p.pids[role]), p.pids[role], mib(u.Anonymous), mib(u.Private()), mib(u.RSS), top)
			if p.kind == "wasm" && role == "function" && u.Anonymous > 4<<20 {
				t.Errorf("idle runner holds %.2f MiB anonymous memory, want ≤ 4 (its idle release gives back the guest's pages)", mib(u.Anonymous))
			}
		}
		t.Logf("%s pod: anonymous %.2f MiB", p.kind, mib(sum))
	}
}
