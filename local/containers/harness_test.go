package containers

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/errdefs"
	"github.com/containerd/containerd/namespaces"
	"github.com/google/go-containerregistry/pkg/registry"
)

// harness is a real containerd daemon (own root, state, socket and config
// under a temp dir) plus a loopback registry holding the test images. One
// is shared by all tests of the package; TestMain stops it even when tests
// fail, and the daemon dies with the test binary (Pdeathsig). It is started
// lazily, so unit tests and fuzzing never start a daemon.
type harness struct {
	dir      string
	socket   string
	bin      string // containerd binary
	config   string // its config file
	cmd      *exec.Cmd
	registry *httptest.Server
	host     string            // registry host:port
	images   map[string]string // test image name -> reference
}

var (
	harnessOnce sync.Once
	env         *harness // the running harness, nil when skipped or failed
	started     *harness // what startHarness created, for stop
	skipReason  string
	harnessErr  error
)

// TestMain stops the harness, if a test started it, after all tests ran
// (also when they failed).
func TestMain(m *testing.M) {
	code := m.Run()
	if started != nil {
		started.stop()
	}
	os.Exit(code)
}

// requireHarness starts the shared harness on first use and returns it; it
// skips the test when no containerd can be run here (not root, or no
// containerd binary) and fails it when the harness does not come up.
func requireHarness(tb testing.TB) *harness {
	tb.Helper()
	harnessOnce.Do(func() {
		started, skipReason, harnessErr = startHarness()
		if harnessErr == nil {
			env = started
		}
	})
	if harnessErr != nil {
		tb.Fatalf("containerd test harness: %v", harnessErr)
	}
	if env == nil {
		tb.Skip(skipReason)
	}
	return env
}

// startHarness returns (nil, reason, nil) when the tests must skip: not
// root, or no containerd binary.
func startHarness() (*harness, string, error) {
	if os.Geteuid() != 0 {
		return nil, "containerd tests need root", nil
	}
	bin, err := exec.LookPath("containerd")
	if err != nil {
		return nil, "containerd binary not installed (run hack/containerd/containerd.sh install)", nil
	}
	reapStaleRuns()
	dir, err := os.MkdirTemp("", "fwct")
	if err != nil {
		return nil, "", err
	}
	h := &harness{dir: dir, socket: filepath.Join(dir, "containerd.sock")}
	cfg := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = %[3]q
[ttrpc]
  address = %[4]q
[debug]
  address = ""
[metrics]
  address = ""
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), h.socket, h.socket+".ttrpc")
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return h, "", err
	}
	h.bin, h.config = bin, cfgPath
	if err := h.startDaemon(); err != nil {
		return h, "", err
	}
	h.registry = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	h.host = strings.TrimPrefix(h.registry.URL, "http://")
	if err := h.buildImages(); err != nil {
		return h, "", err
	}
	return h, "", nil
}

// startDaemon starts containerd and waits until it answers.
func (h *harness) startDaemon() error {
	logf, err := os.OpenFile(filepath.Join(h.dir, "containerd.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	h.cmd = exec.Command(h.bin, "--config", h.config)
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := h.cmd.Start(); err != nil {
		return fmt.Errorf("start containerd: %w", err)
	}
	return h.waitReady(20 * time.Second)
}

// stopDaemon stops containerd (SIGTERM, SIGKILL after 10 s); tasks and
// their shims keep running.
func (h *harness) stopDaemon() {
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- h.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = h.cmd.Process.Kill()
		<-done
	}
}

func (h *harness) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := containerd.New(h.socket, containerd.WithTimeout(time.Second))
		if err == nil {
			_, err = c.Version(context.Background())
			c.Close()
			if err == nil {
				return nil
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(h.dir, "containerd.log"))
			return fmt.Errorf("containerd did not answer within %s: %v\n%s", timeout, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop removes every container of the daemon, stops it, unmounts what is
// left under the temp dir and deletes it. Safe to call on a partial harness.
func (h *harness) stop() {
	if h.registry != nil {
		h.registry.Close()
	}
	if h.cmd != nil && h.cmd.Process != nil {
		if c, err := containerd.New(h.socket, containerd.WithTimeout(2*time.Second)); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			if nss, err := c.NamespaceService().List(ctx); err == nil {
				for _, ns := range nss {
					purgeNamespace(namespaces.WithNamespace(ctx, ns), c)
					// runc's per-namespace state dir is shared with the host's
					// containerd; remove ours when empty.
					_ = os.Remove(filepath.Join("/run/containerd/runc", ns))
				}
			}
			cancel()
			c.Close()
		}
		h.stopDaemon()
	}
	unmountUnder(h.dir)
	os.RemoveAll(h.dir)
}

// purgeNamespace kills and deletes every task and container of ctx's namespace.
func purgeNamespace(ctx context.Context, c *containerd.Client) {
	list, err := c.Containers(ctx)
	if err != nil {
		return
	}
	for _, ctr := range list {
		if task, err := ctr.Task(ctx, nil); err == nil {
			_, _ = task.Delete(ctx, containerd.WithProcessKill)
		}
		if err := ctr.Delete(ctx, containerd.WithSnapshotCleanup); err != nil && !errdefs.IsNotFound(err) {
			fmt.Fprintln(os.Stderr, "purge container", ctr.ID(), err)
		}
	}
}

// unmountUnder lazily unmounts every mount point below dir, deepest first.
func unmountUnder(dir string) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}

// testNetwork returns a CNI network of its own for one test: a fresh bridge
// and a /24 that no host interface uses. The bridge is deleted at cleanup.
func testNetwork(t testing.TB, stateDir string) Network {
	t.Helper()
	used := func(subnet *net.IPNet) bool {
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (subnet.Contains(ipn.IP) || ipn.Contains(subnet.IP)) {
				return true
			}
		}
		return false
	}
	netSeq++
	// 10.150-10.239: clear of the usual cluster ranges (10.96/12 services,
	// 10.243-10.244 pods) and of the product's default 10.62/16.
	base := 150 + (os.Getpid()+netSeq*7)%90
	var subnet string
	for i := 0; i < 200; i++ {
		s := fmt.Sprintf("10.%d.%d.0/24", base, (netSeq*13+i)%250)
		_, ipn, _ := net.ParseCIDR(s)
		if !used(ipn) {
			subnet = s
			break
		}
	}
	if subnet == "" {
		t.Fatal("no free /24 for the test network")
	}
	bridge := fmt.Sprintf("fwt%d-%d", os.Getpid(), netSeq) // at most 15 bytes: pid_max has 7 digits
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", bridge).Run() })
	return Network{Name: "fwt-" + bridge, Bridge: bridge, Subnet: subnet, IPAMDir: filepath.Join(stateDir, "ipam"), NoIPMasq: true}
}

var netSeq int

// client returns a containerd client closed at the end of the test.
func (h *harness) client(t testing.TB) *containerd.Client {
	t.Helper()
	c, err := containerd.New(h.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
