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
	"github.com/faas-wasm/faas-wasm/provider"
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
		coci.WithMounts([]specs.Mount{{Destination: provider.SecretsPath, Type: "bind", Source: secrets, Options: []string{"rbind", "ro"}}}),
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
	if !logged(&out, "guest-log-line") {
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
	client, out := requireHarness(t).serve(t, "trap", "trap")
	for range 2 {
		code, body := get(client, "GET", "/", "")
		if code != http.StatusInternalServerError || !strings.Contains(body, "trap") {
			t.Fatalf("GET / = %d %q, want 500 reporting the trap", code, body)
		}
	}
	if !logged(out, "invocation failed") {
		t.Errorf("the runner did not log the trap:\n%s", out.String())
	}
}

func TestNotAWasmImage(t *testing.T) {
	h := requireHarness(t)
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	c := h.newContainer(t, "native-in-wasm-shim", "prime-native", RuntimeType, netns(t))
	_, err := c.NewTask(ctx, cio.NullIO)
	if err == nil || !strings.Contains(err.Error(), "not a WebAssembly core module") {
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

// TestSignedPrecompiledLayer: on a node that trusts the build key
// ($FAASWASM_TRUSTED_BUILD_KEYS), the first container of a module no cache
// holds, from an image with the module's signed precompiled layer, gets the
// layer installed instead of compiling (the container log says so) and
// serves. The refusals (other key, engine, module, tampered code) are
// TestPrecompileSignedLayer's in shim/runner.
func TestSignedPrecompiledLayer(t *testing.T) {
	h := requireHarness(t)
	client, out := h.serve(t, "signed", "guest-signed")
	if code, body := get(client, "POST", "/echo", "signed"); code != 200 || body != "signed" {
		t.Fatalf("POST /echo = %d %q", code, body)
	}
	if !logged(out, `from="signed precompiled layer"`) || strings.Contains(out.String(), "not used") {
		t.Fatalf("container log does not say the signed layer was installed:\n%s\n%s", out.String(), h.logMatching("precompiled"))
	}
}

// TestSignedPrecompiledLayerOfTwinImage: the container's image is an
// unsigned twin (same module, same config digest) of a signed image the
// node also pulled — what the CRI plugin does, naming a container's image
// by the first of the references sharing its image ID, once an earlier
// unsigned build of the same function was pulled. The node must still
// install the signed layer from the other image. On the old code it looked
// only in the container's image and compiled, logging nothing about the
// layer (the CI rehearsal's e2e TestKubernetesWasmScaleOut failure).
func TestSignedPrecompiledLayerOfTwinImage(t *testing.T) {
	h := requireHarness(t)
	client, out := h.serve(t, "twin", "guest-twin")
	if code, body := get(client, "POST", "/echo", "twin"); code != 200 || body != "twin" {
		t.Fatalf("POST /echo = %d %q", code, body)
	}
	if !logged(out, `from="signed precompiled layer"`) {
		t.Fatalf("container log does not say the signed layer was installed:\n%s\n%s", out.String(), h.logMatching("precompiled"))
	}
	if log := h.logMatching("precompiled layer found"); !strings.Contains(log, "guest-twin-signed:1") {
		t.Errorf("the shim's log does not name the image that had the layer:\n%s", log)
	}
}

// TestNoPrecompiledLayerSaysWhy: a module no cache holds and no image's
// precompiled layer covers is compiled, and the container's log says why
// no layer was used (the shim's lookup said so only at debug level, in
// containerd's log, before).
//
// The runner's own lines must follow the compile's in that log: the shim
// closed the FIFO it wrote the compile's output to before it opened the
// runner's, so for a moment the FIFO had no writer and containerd's copy,
// reading, saw end of file and stopped (TestKubernetesLoad, 2026-12-07:
// one of two pods logged the compile and nothing of its runner).
func TestNoPrecompiledLayerSaysWhy(t *testing.T) {
	_, out := requireHarness(t).serve(t, "nolayer", "trap-unique")
	logged(out, "msg=serving")
	log := out.String()
	if !strings.Contains(log, "precompiled layer not used") || !strings.Contains(log, "nor the") || !strings.Contains(log, "from=compiled") {
		t.Fatalf("container log does not say why no precompiled layer was used:\n%s", log)
	}
	if !strings.Contains(log, "msg=serving") {
		t.Fatalf("container log stops after the compile, without the runner's lines:\n%s", log)
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

// logged reports whether the container output out holds s within 10 s.
// The output reaches the test through the shim's FIFOs and containerd's
// copy, after the HTTP answer or health check that followed the line.
func logged(out *syncbuf.Buffer, s string) bool {
	for end := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), s); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			return false
		}
	}
	return true
}

// serve starts a Wasm container id of image in a network namespace of its
// own and waits until it answers /_/health; it returns a client of that
// namespace and the container's output.
func (h *harness) serve(t *testing.T, id, image string) (*http.Client, *syncbuf.Buffer) {
	t.Helper()
	nsPath := netns(t)
	c := h.newContainer(t, id, image, RuntimeType, nsPath)
	out := &syncbuf.Buffer{}
	startTask(t, c, out)
	client := nsClient(nsPath)
	if err := waitStatus(client, "/_/health", 30*time.Second); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out.String(), h.logTail())
	}
	return client, out
}
