package containers

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/containerd"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/leaktest"
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

// shared is the package's harness.
var shared = containerdtest.NewShared(startHarness, (*harness).stop)

// TestMain stops the harness, if a test started it, after all tests ran
// (also when they failed), then checks that no goroutine the tests started
// still runs (internal/leaktest).
func TestMain(m *testing.M) {
	leaktest.Main(m, shared.Close)
}

// requireHarness starts the shared harness on first use and returns it; it
// skips the test when no containerd can be run here (not root, or no
// containerd binary) and fails it when the harness does not come up.
func requireHarness(tb testing.TB) *harness {
	tb.Helper()
	return shared.Get(tb)
}

// startHarness starts the daemon and the registry and pushes the test
// images; on failure it stops what it started.
func startHarness() (*harness, error) {
	reapStaleRuns()
	d, err := containerdtest.New("fwct")
	if err != nil {
		return nil, err
	}
	h := &harness{Daemon: d}
	h.registry = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	h.host = strings.TrimPrefix(h.registry.URL, "http://")
	if err := h.buildImages(); err != nil {
		h.stop()
		return nil, err
	}
	return h, nil
}

// stop closes the registry and the daemon (which deletes every container
// and the temp dir).
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
