package reliability

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// daemon is a containerd of the test's own (root, state and socket in a
// temp dir), so restarting it disturbs no one else.
type daemon struct {
	dir, socket, config string
	cmd                 *exec.Cmd
}

// startDaemon writes a config for a private containerd and starts it; the
// test is skipped when not root or without a containerd binary.
func startDaemon(t *testing.T) *daemon {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("containerd needs root")
	}
	bin, err := exec.LookPath("containerd")
	if err != nil {
		t.Skip("no containerd binary")
	}
	dir, err := os.MkdirTemp("", "fwrel")
	if err != nil {
		t.Fatal(err)
	}
	d := &daemon{dir: dir, socket: filepath.Join(dir, "c.sock"), config: filepath.Join(dir, "config.toml")}
	cfg := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = ""
[metrics]
  address = ""
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), d.socket, d.socket+".ttrpc")
	if err := os.WriteFile(d.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.stop()
		d.reapShims()
		unmountUnder(dir)
		os.RemoveAll(dir)
	})
	d.start(t, bin)
	return d
}

// start runs the daemon and waits until its socket accepts connections.
func (d *daemon) start(t *testing.T, bin string) {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(d.dir, "containerd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d.cmd = exec.Command(bin, "--config", d.config)
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if c, err := net.Dial("unix", d.socket); err == nil {
			c.Close()
			time.Sleep(300 * time.Millisecond)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd did not listen on %s", d.socket)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop ends the daemon (SIGTERM, SIGKILL after 10 s); tasks and shims
// keep running.
func (d *daemon) stop() {
	if d.cmd == nil || d.cmd.ProcessState != nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { d.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = d.cmd.Process.Kill()
		<-done
	}
}

// reapShims kills the shims of this daemon still running after it stopped
// (a test that failed before deleting its functions), their containers'
// processes, and removes the runc and CNI state they leave on the host.
func (d *daemon) reapShims() {
	entries, _ := os.ReadDir("/proc")
	args := map[int][]string{}
	ppid := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil {
			continue
		}
		args[pid] = strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := strings.LastIndexByte(string(st), ')'); i > 0 {
				if f := strings.Fields(string(st[i+1:])); len(f) > 1 {
					ppid[pid], _ = strconv.Atoi(f[1])
				}
			}
		}
	}
	for pid, a := range args {
		if !slices.Contains(a, d.socket) || !strings.Contains(a[0], "containerd-shim") {
			continue
		}
		for child, parent := range ppid {
			if parent == pid {
				_ = syscall.Kill(child, syscall.SIGKILL)
			}
		}
		_ = syscall.Kill(pid, syscall.SIGKILL)
		if i := slices.Index(a, "-id"); i >= 0 && i+1 < len(a) {
			id := a[i+1]
			os.RemoveAll(filepath.Join("/run/containerd/runc/openfaas-fn", id))
			if m, _ := filepath.Glob("/var/lib/cni/results/*-" + id + "-*"); len(m) > 0 {
				for _, f := range m {
					os.Remove(f)
				}
			}
		}
	}
}

// unmountUnder detaches every mount point below dir, deepest first.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}

// TestContainerdRestartUnderProvider restarts a private containerd under a
// running provider while a container function serves a steady load: the
// calls keep being answered, and afterwards the same provider process
// deploys, scales and deletes container functions through the new daemon.
func TestContainerdRestartUnderProvider(t *testing.T) {
	d := startDaemon(t)
	marker := "reliability-" + randHex(t)
	ref := pushBox(t, ocitest.NewRegistry(t), marker)
	p := startProvider(t, t.TempDir(), "--containerd-socket", d.socket)
	container := map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer}
	deployed := []string{}
	t.Cleanup(func() {
		for _, name := range deployed {
			p.call(http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: name})
		}
	})
	deploy := func(name string) {
		t.Helper()
		p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: name, Image: ref, Annotations: container})
		deployed = append(deployed, name)
		waitReady(t, p.url+"/function/"+name)
	}
	deploy("before")

	stop := steadyLoad(5, p.url+"/function/before", "ok")
	time.Sleep(500 * time.Millisecond)
	bin := d.cmd.Path
	d.stop()
	// A deploy while containerd is away is the daemon's fault, not the
	// request's: 503 (retry), never 400 (regression: it was 400).
	code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "while-down", Image: ref, Annotations: container})
	if err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("deploy while containerd is stopped = %d %q %v, want 503", code, body, err)
	}
	time.Sleep(time.Second)
	d.start(t, bin)
	time.Sleep(500 * time.Millisecond)
	during := stop()
	t.Logf("steady load on a container function across a containerd restart: %v", during)
	if during.errs != 0 {
		t.Errorf("calls failed across the containerd restart: %v", during.firstErrs)
	}

	// The client reconnects on its own; give it the time of its backoff.
	restarted := time.Now()
	for {
		code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "after", Image: ref, Annotations: container})
		if err == nil && code == http.StatusAccepted {
			break
		}
		if code == http.StatusBadRequest {
			t.Fatalf("deploy while containerd reconnects answered 400 %q: the request is fine, want 503 until it is back", body)
		}
		if time.Since(restarted) > 60*time.Second {
			t.Fatalf("no deploy through the restarted containerd within 60 s: %d %q %v", code, body, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	deployed = append(deployed, "after")
	t.Logf("first deploy through the restarted containerd accepted %v after it listened", time.Since(restarted).Round(time.Millisecond))
	waitReady(t, p.url+"/function/after")
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/scale-function/before", provider.ScaleServiceRequest{ServiceName: "before", Replicas: 2})
	waitPIDs(t, marker, 3)
	if res := fixedLoad(500, 10, p.url+"/function/after", "ok"); res.errs != 0 {
		t.Errorf("function deployed after the restart: %v %v", res, res.firstErrs)
	}
	p.expect(t, http.StatusAccepted, http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: "after"})
	deployed = deployed[:1]
	t.Logf("after the containerd restart the same provider deployed, scaled and deleted container functions")
}
