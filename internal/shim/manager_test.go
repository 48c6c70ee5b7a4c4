package shim

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd/namespaces"
	shimlib "github.com/containerd/containerd/runtime/v2/shim"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
)

// envFakeDaemon makes the test binary act as a shim daemon (see fakeDaemon).
const envFakeDaemon = "FAASWASM_TEST_FAKE_DAEMON"

// fakeDaemon serves the listener startDaemon hands over as fd 3: it accepts
// one connection and exits, or exits after 10 s.
func fakeDaemon() {
	time.AfterFunc(10*time.Second, func() { os.Exit(2) })
	l, err := net.FileListener(os.NewFile(3, "socket"))
	if err != nil {
		os.Exit(3)
	}
	c, err := l.Accept()
	if err != nil {
		os.Exit(4)
	}
	c.Close()
	os.Exit(0)
}

// TestStartDaemonOutlivesStart: the start action's context ends when the
// action returns (the shim library shuts it down); the daemon it started
// must keep serving. Regression: the daemon's command was bound to that
// context, so a start action that lived on a moment after its return
// (under load, before its exit) killed the daemon and containerd's dial
// was refused ("failed to start shim: start failed: dial unix ...:
// connect: connection refused", seen once in CI in TestShimKilled).
func TestStartDaemonOutlivesStart(t *testing.T) {
	t.Setenv(envFakeDaemon, "1")
	bundle := t.TempDir()
	t.Chdir(bundle)
	ctx, cancel := context.WithCancel(namespaces.WithNamespace(context.Background(), "fwshim-start-test"))
	opts := shimlib.StartOpts{Address: filepath.Join(bundle, "containerd.sock"), TTRPCAddress: filepath.Join(bundle, "containerd.sock.ttrpc")}
	address, err := startDaemon(ctx, "start-test", "start-test", bundle, opts)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shimlib.RemoveSocket(address) })
	if b, err := os.ReadFile(filepath.Join(bundle, "address")); err != nil || string(b) != address {
		t.Errorf("address file = %q, %v; want %q", b, err, address)
	}
	time.Sleep(200 * time.Millisecond) // a killed daemon closes its listener by then
	conn, err := shimlib.AnonDialer(address, 5*time.Second)
	if err != nil {
		t.Fatalf("the daemon no longer serves after the start context ended: %v", err)
	}
	conn.Close()
}

// TestStartKeepsBusyDaemon: a group's daemon whose socket has a full
// backlog (connections refused with EAGAIN, as under a burst of pod
// starts) still serves; Start must hand out its address and keep its
// socket. Regression: shimlib.CanConnect's failed 100 ms dial counted as a
// stale socket, so Start removed the live daemon's socket and started a
// second daemon for the group (seen on the cluster with
// FAASWASM_SHIM_GROUP=node: 100 pods on 4 daemons).
func TestStartKeepsBusyDaemon(t *testing.T) {
	t.Setenv(envFakeDaemon, "1")
	bundle := t.TempDir()
	t.Chdir(bundle)
	ctx := namespaces.WithNamespace(context.Background(), "fwshim-busy-test")
	opts := shimlib.StartOpts{Address: filepath.Join(bundle, "containerd.sock"), TTRPCAddress: filepath.Join(bundle, "containerd.sock.ttrpc")}
	address, err := shimlib.SocketAddress(ctx, opts.Address, RuntimeType+"/busy")
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(address, "unix://")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	// A daemon that accepts nothing, with a backlog of one connection.
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd); os.Remove(path) })
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	for range 8 {
		c, err := net.Dial("unix", path)
		if err != nil {
			break
		}
		t.Cleanup(func() { c.Close() })
	}
	if shimlib.CanConnect(address) {
		t.Fatal("the socket's backlog did not fill")
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := startDaemon(ctx, "busy-1", "busy", bundle, opts)
	if err != nil || got != address {
		t.Fatalf("startDaemon = %q, %v; want the busy daemon's %q", got, err, address)
	}
	after, err := os.Stat(path)
	if err != nil || !os.SameFile(before, after) {
		t.Fatalf("the busy daemon's socket was replaced (%v)", err)
	}
}

// TestDaemonGroup: a container joins its CRI pod's daemon, or its own
// without a sandbox id; with $FAASWASM_SHIM_GROUP=node every container the
// node's; another value is an error naming the variable.
func TestDaemonGroup(t *testing.T) {
	t.Cleanup(func() { shimGroupFile = runspec.DefaultShimGroup })
	shimGroupFile = filepath.Join(t.TempDir(), "absent")
	inPod := &specs.Spec{Annotations: map[string]string{AnnotationSandboxID: "sb1"}}
	alone := &specs.Spec{}
	for _, tc := range []struct {
		env  string
		spec *specs.Spec
		want string
		ok   bool
	}{
		{"", inPod, "sb1", true}, {"", alone, "c1", true},
		{GroupPod, inPod, "sb1", true}, {GroupPod, alone, "c1", true},
		{GroupNode, inPod, GroupNode, true}, {GroupNode, alone, GroupNode, true},
		{"Node", inPod, "", false}, {"per-pod", alone, "", false},
	} {
		t.Setenv(EnvShimGroup, tc.env)
		got, err := daemonGroup("c1", tc.spec)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("%s=%q: daemonGroup = %q, %v; want %q, ok=%v", EnvShimGroup, tc.env, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), EnvShimGroup) {
			t.Errorf("error %q does not name %s", err, EnvShimGroup)
		}
	}
}

// TestShimGroupFile: without $FAASWASM_SHIM_GROUP the node file the
// installer writes decides; the variable overrides it; a bad file content
// is an error naming the file.
func TestShimGroupFile(t *testing.T) {
	t.Cleanup(func() { shimGroupFile = runspec.DefaultShimGroup })
	shimGroupFile = filepath.Join(t.TempDir(), "shim-group")
	for _, tc := range []struct {
		env, file string
		want      string
		ok        bool
	}{
		{"", "node\n", GroupNode, true}, {"", "pod", GroupPod, true},
		{GroupPod, "node\n", GroupPod, true}, {GroupNode, "nodes", GroupNode, true},
		{"", "nodes", "", false},
	} {
		if err := os.WriteFile(shimGroupFile, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Setenv(EnvShimGroup, tc.env)
		got, err := ShimGroup()
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("env %q, file %q: ShimGroup() = %q, %v; want %q, ok=%v", tc.env, tc.file, got, err, tc.want, tc.ok)
		}
		if err != nil && !strings.Contains(err.Error(), shimGroupFile) {
			t.Errorf("error %q does not name %s", err, shimGroupFile)
		}
	}
}
