package shim

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/namespaces"
	coci "github.com/containerd/containerd/oci"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

// waitExit waits for the task's exit status (30 s at most).
func waitExit(t *testing.T, ch <-chan containerd.ExitStatus) uint32 {
	t.Helper()
	select {
	case st := <-ch:
		return st.ExitCode()
	case <-time.After(30 * time.Second):
		t.Fatal("task did not exit")
		return 0
	}
}

func TestWasmContainer(t *testing.T) {
	h := requireHarness(t)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	nsPath := netns(t)
	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "token"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := h.newContainer(t, "guest", "guest", RuntimeType, nsPath,
		coci.WithEnv([]string{"GREETING=hi there", "exec_timeout=1s"}),
		coci.WithMounts([]specs.Mount{{Destination: secretsPath, Type: "bind", Source: secrets, Options: []string{"rbind", "ro"}}}),
		coci.WithMemoryLimit(256<<20))
	var out syncbuf.Buffer
	task := startTask(t, c, &out)
	client := nsClient(nsPath)
	// Start returns once the runner listens: the first call is answered
	// without waiting.
	if code, body := get(client, "GET", "/_/health", ""); code != http.StatusOK {
		t.Fatalf("health right after Start = %d %q, want 200 at once\ncontainer output:\n%s", code, body, out.String())
	}

	for _, tc := range []struct {
		name, path, body string
		status           int
		want             string
	}{
		{"default", "/", "", http.StatusOK, "hello from wasm"},
		{"echo", "/echo", "ping", http.StatusOK, "ping"},
		{"env from the spec", "/env", "", http.StatusOK, "hi there"},
		{"secret mount preopened", "/secret", "", http.StatusOK, "s3cret"},
		{"stderr to the container log", "/log", "", http.StatusOK, "logged"},
		{"loop stopped by exec_timeout", "/loop", "", http.StatusGatewayTimeout, "timed out"},
		{"non-zero exit", "/exit", "", http.StatusInternalServerError, "code 3"},
		{"memory limit from the cgroup limit", "/grow", "", http.StatusInternalServerError, "memory"},
		{"still serving afterwards", "/echo", "again", http.StatusOK, "again"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(client, "POST", tc.path, tc.body)
			if code != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("POST %s = %d %q, want %d containing %q", tc.path, code, body, tc.status, tc.want)
			}
		})
	}
	if !strings.Contains(out.String(), "guest-log-line") {
		t.Errorf("guest stderr not in the container output:\n%s", out.String())
	}

	t.Run("pids stats and cgroup", func(t *testing.T) {
		pids, err := task.Pids(ctx)
		if err != nil || len(pids) != 1 || pids[0].Pid != task.Pid() {
			t.Fatalf("pids = %v, %v; want [%d]", pids, err, task.Pid())
		}
		m, err := task.Metrics(ctx)
		if err != nil || m.Data == nil || !strings.Contains(m.Data.GetTypeUrl(), "cgroups.v1.Metrics") {
			t.Fatalf("metrics = %v, %v", m, err)
		}
		cg, err := os.ReadFile("/proc/" + itoa(task.Pid()) + "/cgroup")
		if err != nil || !strings.Contains(string(cg), "memory:/"+testNS+"/guest") {
			t.Fatalf("runner cgroups: %s %v", cg, err)
		}
		limit, _ := os.ReadFile("/sys/fs/cgroup/memory/" + testNS + "/guest/memory.limit_in_bytes")
		if strings.TrimSpace(string(limit)) != itoa(256<<20) {
			t.Fatalf("memory.limit_in_bytes = %q", limit)
		}
	})

	t.Run("unsupported calls say not implemented", func(t *testing.T) {
		if err := task.Pause(ctx); !errdefs.IsNotImplemented(err) {
			t.Errorf("pause: %v", err)
		}
		if _, err := task.Exec(ctx, "x", &specs.Process{Args: []string{"sh"}, Cwd: "/"}, cio.NullIO); err == nil {
			t.Errorf("exec succeeded")
		}
		if err := task.Update(ctx); !errdefs.IsNotImplemented(err) {
			t.Errorf("update: %v", err)
		}
	})

	t.Run("SIGTERM stops gracefully, restart serves again, SIGKILL gives 137", func(t *testing.T) {
		ch, err := task.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Kill(ctx, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, ch); code != 0 {
			t.Fatalf("exit after SIGTERM = %d, want 0", code)
		}
		if st, err := task.Status(ctx); err != nil || st.Status != containerd.Stopped {
			t.Fatalf("status = %v, %v", st, err)
		}
		if err := task.Kill(ctx, syscall.SIGTERM); !errdefs.IsNotFound(err) {
			t.Fatalf("kill of an exited task: %v", err)
		}
		if _, err := task.Delete(ctx); err != nil {
			t.Fatal(err)
		}
		task = startTask(t, c, nil)
		if err := waitStatus(client, "/echo", 10*time.Second); err != nil {
			t.Fatal(err)
		}
		ch, err = task.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := task.Kill(ctx, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if code := waitExit(t, ch); code != 137 {
			t.Fatalf("exit after SIGKILL = %d, want 137", code)
		}
		st, err := task.Delete(ctx)
		if err != nil || st.ExitCode() != 137 {
			t.Fatalf("delete = %v, %v", st, err)
		}
		if _, err := os.Stat("/sys/fs/cgroup/memory/" + testNS + "/guest"); !os.IsNotExist(err) {
			procs, _ := os.ReadFile("/sys/fs/cgroup/memory/" + testNS + "/guest/cgroup.procs")
			t.Fatalf("cgroup left behind (procs %q): %v\n%s", procs, err, h.logTail())
		}
	})
}

func TestTrappingModule(t *testing.T) {
	h := requireHarness(t)
	nsPath := netns(t)
	c := h.newContainer(t, "trap", "trap", RuntimeType, nsPath)
	var out syncbuf.Buffer
	startTask(t, c, &out)
	client := nsClient(nsPath)
	if err := waitStatus(client, "/_/health", 30*time.Second); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for range 2 {
		code, body := get(client, "GET", "/", "")
		if code != http.StatusInternalServerError || !strings.Contains(body, "trap") {
			t.Fatalf("GET / = %d %q, want 500 reporting the trap", code, body)
		}
	}
	if !strings.Contains(out.String(), "invocation failed") {
		t.Errorf("the runner did not log the trap:\n%s", out.String())
	}
}

func TestNotAWasmImage(t *testing.T) {
	h := requireHarness(t)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	c := h.newContainer(t, "native-in-wasm-shim", "prime-native", RuntimeType, netns(t))
	_, err := c.NewTask(ctx, cio.NullIO)
	if err == nil || !strings.Contains(err.Error(), "not a WebAssembly module") {
		t.Fatalf("new task = %v, want a refusal naming the missing module", err)
	}
}

func itoa(n any) string {
	switch v := n.(type) {
	case uint32:
		return strings.TrimSpace(strings.Repeat(" ", 0) + uintToString(uint64(v)))
	case int:
		return uintToString(uint64(v))
	}
	return ""
}

func uintToString(v uint64) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// TestArtifactImage runs the CNCF Wasm artifact form: no root filesystem,
// the module is read from the image's application/wasm layer in
// containerd's content store.
func TestArtifactImage(t *testing.T) {
	h := requireHarness(t)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	nsPath := netns(t)
	c, err := h.client.NewContainer(ctx, "artifact", containerd.WithImage(h.images["guest-artifact"]),
		containerd.WithNewSpec(coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: nsPath})),
		containerd.WithRuntime(RuntimeType, nil))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if task, err := c.Task(ctx, nil); err == nil {
			task.Delete(ctx, containerd.WithProcessKill)
		}
		c.Delete(ctx)
	})
	var out syncbuf.Buffer
	startTask(t, c, &out)
	client := nsClient(nsPath)
	if err := waitStatus(client, "/_/health", 30*time.Second); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), h.logTail())
	}
	if code, body := get(client, "POST", "/echo", "artifact"); code != 200 || body != "artifact" {
		t.Fatalf("POST /echo = %d %q", code, body)
	}
}

// TestFirstStartUnderSmallMemoryLimit starts a module that no cache holds in
// a container limited to 64 MiB: compiling it needs more than that, so the
// shim must compile outside the container's cgroup, and the container must
// then serve within its limit.
func TestFirstStartUnderSmallMemoryLimit(t *testing.T) {
	h := requireHarness(t)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	nsPath := netns(t)
	c := h.newContainer(t, "small", "guest-unique", RuntimeType, nsPath, coci.WithMemoryLimit(64<<20))
	var out syncbuf.Buffer
	task := startTask(t, c, &out)
	ch, err := task.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := nsClient(nsPath)
	if err := waitStatus(client, "/_/health", 60*time.Second); err != nil {
		select {
		case st := <-ch:
			t.Fatalf("runner exited %d: %v\n%s", st.ExitCode(), err, out.String())
		default:
		}
		t.Fatalf("%v\n%s", err, out.String())
	}
	if code, body := get(client, "POST", "/echo", "small"); code != 200 || body != "small" {
		t.Fatalf("POST /echo = %d %q", code, body)
	}
}
