package shim

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"
	coci "github.com/containerd/containerd/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

// parentExe is the file name of the executable of pid's parent.
func parentExe(t *testing.T, pid uint32) string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name in parentheses: state, ppid, ...
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	exe, err := os.Readlink("/proc/" + f[1] + "/exe")
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Base(exe)
}

// TestPodLikeCRI does what containerd's CRI plugin does for a pod whose
// RuntimeClass maps to this shim: the sandbox (a pause container) and the
// function container are both created with runtime io.containerd.faaswasm.v1
// and the CRI annotations. Both must be served by one daemon of this shim
// (never by runc's), the sandbox chrooted in its image with new IPC, UTS and
// PID namespaces and its hostname, the Wasm container's runner in the
// sandbox's network, IPC, UTS and PID namespaces.
func TestPodLikeCRI(t *testing.T) {
	h := requireHarness(t)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	podNet := netns(t)
	sandbox := h.newContainer(t, "pod1", "pause", RuntimeType, podNet,
		coci.WithAnnotations(map[string]string{AnnotationContainerType: containerTypeSandbox, AnnotationSandboxID: "pod1"}),
		coci.WithHostname("pod1-host"))
	sbTask := startTask(t, sandbox, nil)
	if exe := parentExe(t, sbTask.Pid()); exe != "containerd-shim-faaswasm-v1" {
		t.Fatalf("sandbox runs under %s", exe)
	}
	if root, err := os.Readlink(fmt.Sprintf("/proc/%d/root", sbTask.Pid())); err != nil || !strings.HasSuffix(root, "/pod1/rootfs") {
		t.Fatalf("sandbox root = %q, %v; want the bundle's rootfs", root, err)
	}
	proc := fmt.Sprintf("/proc/%d/ns/", sbTask.Pid())
	for _, ns := range []string{"ipc", "uts", "pid"} {
		a, _ := os.Readlink(proc + ns)
		b, _ := os.Readlink("/proc/self/ns/" + ns)
		if a == "" || a == b {
			t.Errorf("sandbox %s namespace %q is not new (test process: %q)", ns, a, b)
		}
	}
	fn := h.newContainer(t, "pod1-fn", "guest", RuntimeType, proc+"net",
		coci.WithAnnotations(map[string]string{
			AnnotationContainerType: "container", AnnotationSandboxID: "pod1",
			AnnotationContainerName: "fn", AnnotationPodNamespace: "openfaas-fn",
		}),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.IPCNamespace, Path: proc + "ipc"}),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.UTSNamespace, Path: proc + "uts"}),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.PIDNamespace, Path: proc + "pid"}))
	var out syncbuf.Buffer
	fnTask := startTask(t, fn, &out)
	if a, b := ppid(int(fnTask.Pid())), ppid(int(sbTask.Pid())); a != b {
		t.Fatalf("Wasm container's shim %d is not the sandbox's %d", a, b)
	}
	if host := hostnameOf(t, int(fnTask.Pid())); host != "pod1-host" {
		t.Errorf("hostname in the pod's UTS namespace = %q", host)
	}
	for _, ns := range []string{"net", "ipc", "uts", "pid"} {
		a, _ := os.Readlink(proc + ns)
		b, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", fnTask.Pid(), ns))
		if a == "" || a != b {
			t.Errorf("%s namespace: runner %q, sandbox %q", ns, b, a)
		}
	}
	client := nsClient(podNet)
	if err := waitStatus(client, "/_/health", 30*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if code, body := get(client, "POST", "/echo", "pod"); code != 200 || body != "pod" {
		t.Fatalf("POST /echo = %d %q", code, body)
	}

	// The kubelet restarts a container as a new container in the same
	// sandbox: it must join the pod's running daemon and serve again.
	if _, err := fnTask.Delete(ctx, containerd.WithProcessKill); err != nil {
		t.Fatal(err)
	}
	restarted := h.newContainer(t, "pod1-fn-2", "guest", RuntimeType, proc+"net",
		coci.WithAnnotations(map[string]string{AnnotationContainerType: "container", AnnotationSandboxID: "pod1"}),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.PIDNamespace, Path: proc + "pid"}))
	fnTask = startTask(t, restarted, nil)
	if a, b := ppid(int(fnTask.Pid())), ppid(int(sbTask.Pid())); a != b {
		t.Fatalf("restarted container's shim %d is not the pod's %d", a, b)
	}
	if err := waitStatus(client, "/echo", 30*time.Second); err != nil {
		t.Fatal(err)
	}

	// Tear down like the kubelet: container first, then the sandbox.
	for _, task := range []containerd.Task{fnTask, sbTask} {
		ch, err := task.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Kill(ctx, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, ch); code != 0 {
			t.Errorf("task %s exited %d after SIGTERM", task.ID(), code)
		}
		if _, err := task.Delete(ctx); err != nil {
			t.Fatalf("delete %s: %v", task.ID(), err)
		}
	}
}

// hostnameOf reads the hostname of pid's UTS namespace.
func hostnameOf(t *testing.T, pid int) string {
	t.Helper()
	out, err := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-u", "hostname").Output()
	if err != nil {
		t.Fatalf("nsenter: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestShimKilled kills a Wasm container's shim daemon: containerd must run
// the shim binary's delete action, which kills the orphaned runner and
// removes its cgroup and rootfs mount, and report the task as exited.
func TestShimKilled(t *testing.T) {
	h := requireHarness(t)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	nsPath := netns(t)
	c := h.newContainer(t, "crash", "guest", RuntimeType, nsPath)
	task := startTask(t, c, nil)
	if err := waitStatus(nsClient(nsPath), "/_/health", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	runner := int(task.Pid())
	shimPid := ppid(runner)
	if err := syscall.Kill(shimPid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, runnerErr := os.Stat(fmt.Sprintf("/proc/%d", runner))
		_, cgErr := os.Stat("/sys/fs/cgroup/memory/" + testNS + "/crash")
		st, err := task.Status(ctx)
		if os.IsNotExist(runnerErr) && os.IsNotExist(cgErr) && (err != nil || st.Status == containerd.Stopped) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the shim died: runner alive=%v, cgroup present=%v, status %v %v\n%s",
				runnerErr == nil, cgErr == nil, st, err, h.logMatching("crash")+cgroupDebug("crash"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func cgroupDebug(id string) string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/" + testNS + "/" + id)
	out := ""
	for _, d := range dirs {
		procs, _ := os.ReadFile(d + "/cgroup.procs")
		out += fmt.Sprintf("\n%s procs=%q", d, procs)
	}
	return out
}
