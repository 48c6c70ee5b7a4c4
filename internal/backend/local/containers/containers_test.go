package containers

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestLifecycle(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t)
	ctx := context.Background()
	s := Spec{Name: "echo", Namespace: "fn", Image: h.images[imgEcho],
		Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"topic": "x"}}
	if err := m.Apply(ctx, s, 2); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	waitReady(t, m.Manager, "echo", "fn", 2)
	hd := m.Handler("echo", "fn")

	t.Run("invoke echoes", func(t *testing.T) {
		for range 6 {
			if code, body := call(hd, "POST", "/", "hello"); code != 200 || body != "hello" {
				t.Fatalf("got %d %q, want 200 hello", code, body)
			}
		}
	})
	t.Run("load balanced and logged per replica", func(t *testing.T) {
		want := ids(m.Manager, "echo", "fn")
		waitFor(t, 5*time.Second, "Forking fprocess. from both replicas", func() bool {
			seen := map[string]bool{}
			for _, l := range m.rec.matching("Forking fprocess.") {
				if l.fn == "echo" && l.ns == "fn" {
					seen[l.instance] = true
				}
			}
			return seen[want[0]] && seen[want[1]]
		})
	})
	t.Run("writable root filesystem by default", func(t *testing.T) {
		if _, body := call(hd, "GET", "/?mode=write&arg=/newfile", ""); !strings.Contains(body, "wrote") {
			t.Fatalf("write /newfile: %q", body)
		}
	})
	t.Run("labels and annotations on containers", func(t *testing.T) {
		for _, id := range ids(m.Manager, "echo", "fn") {
			c, err := m.client.LoadContainer(m.ctx(ctx), id)
			if err != nil {
				t.Fatal(err)
			}
			l, _ := c.Labels(m.ctx(ctx))
			if l["team"] != "a" || l["com.openfaas.annotations.topic"] != "x" || l[labelFunction] != "echo" {
				t.Errorf("labels of %s: %v", id, l)
			}
		}
	})
	t.Run("scale to zero and back", func(t *testing.T) {
		if err := m.Scale(ctx, "echo", "fn", 0); err != nil {
			t.Fatal(err)
		}
		if n := len(m.Replicas("echo", "fn")); n != 0 {
			t.Fatalf("%d replicas after scale 0", n)
		}
		if code, body := call(hd, "GET", "/", ""); code != 503 || !strings.Contains(body, "No endpoints available for: echo.") {
			t.Fatalf("at zero: %d %q", code, body)
		}
		if err := m.Scale(ctx, "echo", "fn", 1); err != nil {
			t.Fatal(err)
		}
		waitReady(t, m.Manager, "echo", "fn", 1)
		if code, _ := call(hd, "POST", "/", "x"); code != 200 {
			t.Fatalf("after scale from zero: %d", code)
		}
	})
	t.Run("changed spec replaces replicas", func(t *testing.T) {
		before := ids(m.Manager, "echo", "fn")
		s2 := s
		s2.Env = map[string]string{"FOO": "bar"}
		if err := m.Apply(ctx, s2, 1); err != nil {
			t.Fatal(err)
		}
		if code, body := call(hd, "POST", "/", "during"); code != 200 || body != "during" {
			t.Fatalf("call right after the update: %d %q, want the old replica to serve", code, body)
		}
		after := ids(m.Manager, "echo", "fn")
		if len(after) != 1 || slices.Contains(before, after[0]) {
			t.Fatalf("replicas %v -> %v, want one new", before, after)
		}
		waitReady(t, m.Manager, "echo", "fn", 1)
		waitFor(t, 10*time.Second, "old replica removed", func() bool {
			list, err := m.client.Containers(m.ctx(ctx))
			return err == nil && len(list) == 1
		})
		if _, body := call(hd, "GET", "/?mode=env&arg=FOO", ""); body != "bar" {
			t.Fatalf("FOO = %q", body)
		}
		if err := m.Apply(ctx, s2, 1); err != nil {
			t.Fatal(err)
		}
		if same := ids(m.Manager, "echo", "fn"); !slices.Equal(same, after) {
			t.Fatalf("unchanged apply replaced replicas: %v -> %v", after, same)
		}
	})
	t.Run("remove cleans up", func(t *testing.T) {
		if err := m.Remove(ctx, "echo", "fn"); err != nil {
			t.Fatal(err)
		}
		list, err := m.client.Containers(m.ctx(ctx))
		if err != nil || len(list) != 0 {
			t.Fatalf("containers left: %d (%v)", len(list), err)
		}
		leases, _ := filepath.Glob(filepath.Join(m.Manager.opts.network.IPAMDir, m.Manager.opts.network.Name, "1*"))
		if len(leases) != 0 {
			t.Fatalf("IP leases left: %v", leases)
		}
		if err := m.Remove(ctx, "echo", "fn"); !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("second Remove: %v, want ErrNotFound", err)
		}
		if err := m.Scale(ctx, "echo", "fn", 1); !errors.Is(err, provider.ErrNotFound) {
			t.Fatalf("Scale after Remove: %v, want ErrNotFound", err)
		}
	})
}

func TestSpecApplied(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t)
	ctx := context.Background()
	secrets := t.TempDir()
	if err := os.WriteFile(filepath.Join(secrets, "token"), []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := Spec{Name: "limited", Namespace: "fn", Image: h.images[imgEcho], EnvProcess: "/bin/fntool",
		Env: map[string]string{"FOO": "bar"}, SecretsDir: secrets, ReadOnlyRootFS: true,
		MemoryLimit: 64 << 20, CPUMillis: 250}
	if err := m.Apply(ctx, s, 1); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	waitReady(t, m.Manager, "limited", "fn", 1)
	hd := m.Handler("limited", "fn")
	tests := []struct{ name, query, want string }{
		{"secret readable", "mode=read&arg=/var/openfaas/secrets/token", "s3cret"},
		{"secrets read-only", "mode=write&arg=/var/openfaas/secrets/new", "read-only file system"},
		{"root read-only", "mode=write&arg=/newfile", "read-only file system"},
		{"tmp writable", "mode=write&arg=/tmp/x", "wrote"},
		{"env", "mode=env&arg=FOO", "bar"},
		{"fprocess", "mode=env&arg=fprocess", "/bin/fntool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := call(hd, "GET", "/?"+tc.query, "")
			if code != 200 || !strings.Contains(body, tc.want) {
				t.Fatalf("got %d %q, want 200 containing %q", code, body, tc.want)
			}
		})
	}
	t.Run("cgroup limits", func(t *testing.T) {
		c, err := m.client.LoadContainer(m.ctx(ctx), ids(m.Manager, "limited", "fn")[0])
		if err != nil {
			t.Fatal(err)
		}
		spec, err := c.Spec(m.ctx(ctx))
		if err != nil {
			t.Fatal(err)
		}
		files := []struct{ file, want string }{
			{"/sys/fs/cgroup/memory" + spec.Linux.CgroupsPath + "/memory.limit_in_bytes", "67108864"},
			{"/sys/fs/cgroup/cpu" + spec.Linux.CgroupsPath + "/cpu.cfs_quota_us", "25000"},
		}
		if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil { // cgroup v2
			files = []struct{ file, want string }{
				{"/sys/fs/cgroup" + spec.Linux.CgroupsPath + "/memory.max", "67108864"},
				{"/sys/fs/cgroup" + spec.Linux.CgroupsPath + "/cpu.max", "25000 100000"},
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f.file)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.TrimSpace(string(b)); got != f.want {
				t.Errorf("%s = %s, want %s", f.file, got, f.want)
			}
		}
	})
}

func TestImageErrors(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t)
	closed := func() string {
		// a loopback port nobody listens on
		return "127.0.0.1:1/test/echo:1"
	}()
	tests := []struct {
		name  string
		image string
		want  []error
		text  string
	}{
		{"not found", h.host + "/test/missing:1", []error{ErrImageNotFound, provider.ErrImage}, "not found"},
		{"other architecture", h.images[imgArch], []error{ErrPlatform, provider.ErrImage}, "this host runs linux/"},
		{"registry unreachable", closed, []error{ErrRegistry, provider.ErrImage}, "127.0.0.1:1"},
		{"malformed reference", "UPPER/Case::x", []error{provider.ErrInvalid}, "reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := m.Apply(context.Background(), Spec{Name: "bad", Namespace: "fn", Image: tc.image}, 1)
			if err == nil {
				t.Fatal("Apply succeeded")
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("error %q is not %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("error %q does not mention %q", err, tc.text)
			}
			if reps := m.Replicas("bad", "fn"); reps != nil && len(reps) != 0 {
				t.Errorf("replicas left: %v", reps)
			}
			if err := m.Remove(context.Background(), "bad", "fn"); !errors.Is(err, provider.ErrNotFound) {
				t.Errorf("function left after failed apply: Remove = %v", err)
			}
		})
	}
}

func TestCrashLoopReportedNeighbourUnaffected(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t, WithRestartBackoff(100*time.Millisecond, 400*time.Millisecond))
	ctx := context.Background()
	if err := m.Apply(ctx, Spec{Name: "crash", Namespace: "fn", Image: h.images[imgCrash]}, 1); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if err := m.Apply(ctx, Spec{Name: "echo", Namespace: "fn", Image: h.images[imgEcho]}, 1); err != nil {
		t.Fatalf("Apply echo: %v", err)
	}
	waitFor(t, 20*time.Second, "crash loop report", func() bool {
		r := m.Replicas("crash", "fn")
		return len(r) == 1 && r[0].Restarts >= 2 && strings.Contains(r[0].Err, "crash-looping: exited with status 3")
	})
	r := m.Replicas("crash", "fn")[0]
	if r.Ready || !strings.Contains(r.Err, `last output: "exiting 3"`) {
		t.Errorf("replica %+v", r)
	}
	// The sink gets the output from the container's pipe on its own
	// goroutine: it can arrive after the replica's error is set.
	waitFor(t, 5*time.Second, "the crash output in the log sink", func() bool { return len(m.rec.matching("exiting 3")) > 0 })
	if lines := m.rec.matching("exiting 3"); lines[0].instance != r.ID {
		t.Errorf("crash output not in the log sink with instance %s: %v", r.ID, lines)
	}
	// Logged just after the replica's error is set.
	waitFor(t, 5*time.Second, "the crash loop logged", func() bool { return strings.Contains(m.log.String(), "replica crash-looping") })
	waitReady(t, m.Manager, "echo", "fn", 1)
	if code, body := call(m.Handler("echo", "fn"), "POST", "/", "ok"); code != 200 || body != "ok" {
		t.Fatalf("neighbour: %d %q", code, body)
	}
}

func TestNeverHealthy(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t, WithStartTimeout(time.Second))
	tests := []struct{ name, image, want string }{
		{"mute", h.images[imgSleep], "port 8080 never opened within 1s"},
		{"sick", h.images[imgSick], "health check never passed within 1s: GET /_/health answered 503"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := m.Apply(context.Background(), Spec{Name: tc.name, Namespace: "fn", Image: tc.image}, 1); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			waitFor(t, 10*time.Second, "report: "+tc.want, func() bool {
				r := m.Replicas(tc.name, "fn")
				return len(r) == 1 && strings.Contains(r[0].Err, tc.want)
			})
			if code, _ := call(m.Handler(tc.name, "fn"), "GET", "/", ""); code != 503 {
				t.Fatalf("status %d, want 503", code)
			}
		})
	}
	if !strings.Contains(m.log.String(), "replica never became healthy") {
		t.Error("not logged")
	}
}

func TestDiedTaskRestarted(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t, WithRestartBackoff(100*time.Millisecond, time.Second))
	ctx := context.Background()
	if err := m.Apply(ctx, Spec{Name: "echo", Namespace: "fn", Image: h.images[imgEcho]}, 1); err != nil {
		t.Fatal(err)
	}
	waitReady(t, m.Manager, "echo", "fn", 1)
	id := ids(m.Manager, "echo", "fn")[0]
	killTask(t, m.Manager, id)
	waitFor(t, 20*time.Second, "restart", func() bool {
		r := m.Replicas("echo", "fn")
		return len(r) == 1 && r[0].Restarts == 1 && r[0].Ready
	})
	if code, body := call(m.Handler("echo", "fn"), "POST", "/", "back"); code != 200 || body != "back" {
		t.Fatalf("after restart: %d %q", code, body)
	}
}

func TestNewWithoutContainerd(t *testing.T) {
	_, err := New(context.Background(), filepath.Join(t.TempDir(), "none.sock"), WithStateDir(t.TempDir()))
	if !errors.Is(err, ErrNoContainerd) || !errors.Is(err, provider.ErrNotImplemented) {
		t.Fatalf("err = %v, want ErrNoContainerd and provider.ErrNotImplemented", err)
	}
}
