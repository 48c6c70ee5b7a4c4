package containers

import (
	"context"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"
)

func TestRecoverAdoptsWithoutRedeploying(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t)
	ctx := context.Background()
	s := Spec{Name: "echo", Namespace: "fn", Image: h.images[imgEcho], Env: map[string]string{"A": "1"}}
	if err := m.Apply(ctx, s, 2); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m.Manager, "echo", "fn", 2)
	before := ids(m.Manager, "echo", "fn")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	killTask(t, m.Manager, before[1]) // dies while no provider runs

	m2 := m.reopen(t)
	specs, err := m2.Recover(ctx)
	if err != nil {
		t.Fatalf("Recover: %v", err)
	}
	if len(specs) != 1 || specs[0].hash() != s.hash() {
		t.Fatalf("recovered %+v, want %+v", specs, s)
	}
	after := ids(m2, "echo", "fn")
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Fatalf("replicas %v after recover, want the same containers %v", after, before)
	}
	waitReady(t, m2, "echo", "fn", 2)
	restarts := map[string]int{}
	for _, r := range m2.Replicas("echo", "fn") {
		restarts[r.ID] = r.Restarts
	}
	if restarts[before[0]]+restarts[before[1]] != 1 {
		t.Errorf("restarts %v, want exactly the killed replica restarted", restarts)
	}
	if code, body := call(m2.Handler("echo", "fn"), "POST", "/", "again"); code != 200 || body != "again" {
		t.Fatalf("after recover: %d %q", code, body)
	}
	if err := m2.Remove(ctx, "echo", "fn"); err != nil {
		t.Fatal(err)
	}
}

// A containerd restart loses no replica: running tasks are followed again,
// not restarted, and later exits are still noticed.
func TestContainerdRestart(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t, WithRestartBackoff(100*time.Millisecond, time.Second))
	ctx := context.Background()
	if err := m.Apply(ctx, Spec{Name: "echo", Namespace: "fn", Image: h.images[imgEcho]}, 1); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m.Manager, "echo", "fn", 1)
	h.Stop()
	if err := h.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "replica followed again", func() bool {
		return strings.Contains(m.log.String(), "replica watched again")
	})
	r := m.Replicas("echo", "fn")
	if len(r) != 1 || r[0].Restarts != 0 || !r[0].Ready {
		t.Fatalf("after containerd restart: %+v", r)
	}
	killTask(t, m.Manager, r[0].ID)
	waitFor(t, 20*time.Second, "restart after exit", func() bool {
		r := m.Replicas("echo", "fn")
		return len(r) == 1 && r[0].Restarts == 1 && r[0].Ready
	})
}

// killTask SIGKILLs a replica's task directly through containerd and waits
// until it is stopped.
func killTask(t *testing.T, m *Manager, id string) {
	t.Helper()
	ctx := m.ctx(context.Background())
	c, err := requireHarness(t).client(t).LoadContainer(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	task, err := c.Task(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := task.Kill(ctx, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "task stopped", func() bool {
		st, err := task.Status(ctx)
		return err != nil || st.Status == containerd.Stopped
	})
}
