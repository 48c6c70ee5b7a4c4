package containers

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
)

// A replica whose task and container are deleted behind the manager's
// back (ctr task kill, ctr task rm, ctr container rm) is created again
// from its spec within seconds; until then it is reported not ready. On
// 5770c34 the restart failed with "container not found" every backoff
// period, forever.
func TestVanishedContainerIsRecreated(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t, WithRestartBackoff(100*time.Millisecond, time.Second))
	ctx := m.ctx(context.Background())
	id := runEcho(t, m)[0]
	killTask(t, m.Manager, id)
	c, err := h.client(t).LoadContainer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.Task(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := task.Delete(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, containerd.WithSnapshotCleanup); err != nil {
		t.Fatal(err)
	}
	gone := time.Now()
	waitFor(t, 5*time.Second, "the replica reported not ready", func() bool { return m.Ready("echo", "fn") == 0 })
	waitReady(t, m.Manager, "echo", "fn", 1)
	t.Logf("container deleted behind the manager's back: ready again after %v", time.Since(gone).Round(time.Millisecond))
	if got := ids(m.Manager, "echo", "fn"); len(got) != 1 || got[0] != id {
		t.Fatalf("replicas %v, want %s created again", got, id)
	}
	if code, body := call(m.Handler("echo", "fn"), "POST", "/", "again"); code != 200 || body != "again" {
		t.Fatalf("after recreation: %d %q", code, body)
	}
	if !strings.Contains(m.log.String(), "created again from its spec") {
		t.Errorf("log does not say the container was created again:\n%s", m.log.String())
	}
}

// A replica whose shim is SIGKILLed is restarted within seconds.
func TestKilledShimIsRestarted(t *testing.T) {
	m := newTestManager(t, WithRestartBackoff(100*time.Millisecond, time.Second))
	id := runEcho(t, m)[0]
	shim, err := containerdtest.ShimPID(m.ns, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(shim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	waitFor(t, 20*time.Second, "a restart", func() bool {
		r := m.Replicas("echo", "fn")
		return len(r) == 1 && r[0].Restarts >= 1 && r[0].Ready
	})
	t.Logf("shim %d SIGKILLed: replica ready again after %v", shim, time.Since(killed).Round(time.Millisecond))
	if code, body := call(m.Handler("echo", "fn"), "POST", "/", "again"); code != 200 || body != "again" {
		t.Fatalf("after the shim's death: %d %q", code, body)
	}
}
