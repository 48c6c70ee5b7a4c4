package shim

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"
	coci "github.com/containerd/containerd/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/procmem"
)

// idlePod is one pod started as the CRI plugin starts it: its processes
// (shim, sandbox, function) by role, its containers (function first) and
// a client into its network namespace.
type idlePod struct {
	kind       string
	pids       map[string]int // "shim", "pause", "function"
	containers []containerd.Container
	client     *http.Client
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
	client := nsClient(podNet)
	if err := waitStatus(client, "/?n=1000", 60*time.Second); err != nil {
		t.Fatalf("%s pod: %v", kind, err)
	}
	shim := ppid(int(fnTask.Pid()))
	if s := ppid(int(sbTask.Pid())); s != shim {
		t.Fatalf("%s pod: sandbox shim %d, function shim %d", kind, s, shim)
	}
	return idlePod{kind: kind, pids: map[string]int{"shim": shim, "pause": int(sbTask.Pid()), "function": int(fnTask.Pid())},
		containers: []containerd.Container{fn, sandbox}, client: client}
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
// (5 MiB of them the Go guest's pages), 2.6–2.9 MiB after.
//
// With a shim daemon per pod (the default) the Wasm pod holds 7.6–8.2 MiB
// against the container pod's 4.2–4.5: this shim's daemon 4.3–4.7 MiB
// (runc's 2.5–2.7; its linked packages' initialisation alone holds ~2.6–3.0,
// and GOGC=10, GOMAXPROCS=1 or FreeOSMemory every 2 s gained ≤ 0.2), the
// runner 2.6–2.9 (the native function 1.0–1.2). TestNodeShim measures the
// daemon shared by the node's pods ($FAASWASM_SHIM_GROUP=node).
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

// TestNodeShim runs two Wasm pods under a containerd whose shims group by
// node ($FAASWASM_SHIM_GROUP=node, GroupNode): both pods' sandbox and
// runner are children of one shim daemon; deleting the first pod leaves
// the second serving and the daemon alive; deleting the second ends the
// daemon. It logs each pod's anonymous memory with the daemon's shared
// among its pods, as TestKubernetesDensity counts a shared shim.
func TestNodeShim(t *testing.T) {
	h := requireHarness(t).sibling(t, []string{EnvShimGroup + "=" + GroupNode}, "prime-wasm", "pause")
	pods := []idlePod{
		startIdlePod(t, h, "node-a", RuntimeType, "prime-wasm"),
		startIdlePod(t, h, "node-b", RuntimeType, "prime-wasm"),
	}
	shim := pods[0].pids["shim"]
	if s := pods[1].pids["shim"]; s != shim {
		t.Fatalf("pod b's shim is %d, pod a's %d: want one daemon for the node", s, shim)
	}
	time.Sleep(3 * time.Second)
	u, _ := anonymous(t, shim)
	share := u.Share(int64(len(pods)))
	for _, p := range pods {
		sum := share.Anonymous
		for _, role := range []string{"pause", "function"} {
			r, _ := anonymous(t, p.pids[role])
			sum += r.Anonymous
		}
		t.Logf("%s pod: anonymous %.2f MiB (its share of the node's shim: %.2f of %.2f)",
			p.kind, mib(sum), mib(share.Anonymous), mib(u.Anonymous))
	}
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	for _, c := range pods[0].containers {
		if err := containerdtest.DeleteContainer(ctx, c); err != nil {
			t.Fatalf("delete %s: %v", c.ID(), err)
		}
	}
	if err := waitStatus(pods[1].client, "/?n=10", 10*time.Second); err != nil {
		t.Fatalf("pod b after pod a was deleted: %v", err)
	}
	if !alive(shim) {
		t.Fatal("the node's shim ended with pod a")
	}
	for _, c := range pods[1].containers {
		if err := containerdtest.DeleteContainer(ctx, c); err != nil {
			t.Fatalf("delete %s: %v", c.ID(), err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(shim) {
		if time.Now().After(deadline) {
			t.Fatalf("the node's shim (pid %d) still runs after its last container was deleted", shim)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether process pid runs (a zombie does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(after, "Z")
}
