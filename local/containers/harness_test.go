package containers

import (
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/containerd/containerd"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
)

// harness is a private containerd (containerdtest) plus a loopback
// registry holding the test images. One is shared by all tests of the
// package; TestMain stops it even when tests fail, and the daemon dies with
// the test binary. It is started lazily, so unit tests and fuzzing never
// start a daemon.
type harness struct {
	*containerdtest.Daemon
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
	reapStaleRuns()
	d, err := containerdtest.New("fwct")
	if errors.Is(err, containerdtest.ErrUnavailable) {
		return nil, err.Error(), nil
	}
	if err != nil {
		return nil, "", err
	}
	h := &harness{Daemon: d}
	h.registry = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	h.host = strings.TrimPrefix(h.registry.URL, "http://")
	if err := h.buildImages(); err != nil {
		return h, "", err
	}
	return h, "", nil
}

// stop closes the registry and the daemon (which deletes every container
// and the temp dir). Safe to call on a partial harness.
func (h *harness) stop() {
	if h.registry != nil {
		h.registry.Close()
	}
	h.Close()
}

// testNetwork returns a CNI network of its own for one test: a fresh bridge
// and a /24 that no host interface uses. The bridge is deleted at cleanup.
func testNetwork(t testing.TB, stateDir string) Network {
	t.Helper()
	subnet, err := containerdtest.FreeSubnet()
	if err != nil {
		t.Fatal(err)
	}
	netSeq++
	bridge := fmt.Sprintf("fwt%d-%d", os.Getpid(), netSeq) // at most 15 bytes: pid_max has 7 digits
	t.Cleanup(func() { _ = exec.Command("ip", "link", "del", bridge).Run() })
	return Network{Name: "fwt-" + bridge, Bridge: bridge, Subnet: subnet, IPAMDir: filepath.Join(stateDir, "ipam"), NoIPMasq: true}
}

var netSeq int

// client returns a containerd client closed at the end of the test.
func (h *harness) client(t testing.TB) *containerd.Client {
	t.Helper()
	c, err := h.Client()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
