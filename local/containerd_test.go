package local

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"

	"github.com/faas-wasm/faas-wasm/local/containers"
	"github.com/faas-wasm/faas-wasm/oci"
	"github.com/faas-wasm/faas-wasm/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// containerdNamespace is the containerd namespace the test's manager uses.
const containerdNamespace = "faas-wasm-local-test"

// startContainerd runs a containerd daemon of the test's own (root, state
// and socket under a temp dir) and returns its socket. Cleanup removes its
// containers, stops it and unmounts what is left, also when the test fails.
// It skips when the machine cannot run containers.
func startContainerd(t *testing.T) (socket, dir string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("containerd needs root")
	}
	for _, bin := range []string{"containerd", "runc"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed (hack/containerd/install.sh)", bin)
		}
	}
	if _, err := os.Stat("/usr/lib/cni/bridge"); err != nil {
		t.Skip("CNI plugins not installed (containernetworking-plugins)")
	}
	dir, err := os.MkdirTemp("", "fwlocal")
	if err != nil {
		t.Fatal(err)
	}
	socket = filepath.Join(dir, "containerd.sock")
	cfg := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), socket, socket+".ttrpc")
	if err := os.WriteFile(filepath.Join(dir, "config.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("containerd", "--config", filepath.Join(dir, "config.toml"))
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		purge(socket)
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		unmountBelow(dir)
		os.RemoveAll(dir)
		os.Remove(filepath.Join("/run/containerd/runc", containerdNamespace))
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := containerd.New(socket, containerd.WithTimeout(time.Second))
		if err == nil {
			_, err = c.Version(ctx)
			c.Close()
			if err == nil {
				return socket, dir
			}
		}
		if time.Now().After(deadline) {
			out, _ := os.ReadFile(filepath.Join(dir, "containerd.log"))
			t.Fatalf("containerd did not answer: %v\n%s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// purge kills and deletes the test namespace's containers.
func purge(socket string) {
	c, err := containerd.New(socket, containerd.WithTimeout(2*time.Second))
	if err != nil {
		return
	}
	defer c.Close()
	cctx, cancel := context.WithTimeout(namespaces.WithNamespace(ctx, containerdNamespace), time.Minute)
	defer cancel()
	list, _ := c.Containers(cctx)
	for _, ctr := range list {
		if task, err := ctr.Task(cctx, nil); err == nil {
			task.Delete(cctx, containerd.WithProcessKill)
		}
		ctr.Delete(cctx, containerd.WithSnapshotCleanup)
	}
}

// unmountBelow detaches every mount point under dir, deepest first.
func unmountBelow(dir string) {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}

// testBridge returns a CNI network with a bridge and a /24 of its own; the
// bridge is deleted at cleanup.
func testBridge(t *testing.T, dir string) containers.Network {
	t.Helper()
	inUse := func(subnet *net.IPNet) bool {
		addrs, _ := net.InterfaceAddrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && (subnet.Contains(ipn.IP) || ipn.Contains(subnet.IP)) {
				return true
			}
		}
		return false
	}
	for i := range 200 {
		s := fmt.Sprintf("10.%d.%d.0/24", 150+(os.Getpid()+i)%90, (os.Getpid()/90+i)%250)
		if _, ipn, _ := net.ParseCIDR(s); !inUse(ipn) {
			bridge := fmt.Sprintf("fwl%d", os.Getpid()%1000000)
			t.Cleanup(func() { exec.Command("ip", "link", "del", bridge).Run() })
			return containers.Network{Name: "fwl-" + bridge, Bridge: bridge, Subnet: s,
				IPAMDir: filepath.Join(dir, "ipam"), NoIPMasq: true}
		}
	}
	t.Fatal("no free /24 for the test network")
	return containers.Network{}
}

// TestContainerAndWasmSideBySide runs a container function through
// containerd beside a Wasm function, scales it to zero and back, restarts
// the backend (the container is adopted, not redeployed) and deletes it.
func TestContainerAndWasmSideBySide(t *testing.T) {
	socket, dir := startContainerd(t)
	module, engine := realEngine(t)
	reg := ocitest.NewRegistry(t)
	push(t, module, oci.FormArtifact, reg+"/fn/echo:1")
	bin := filepath.Join(dir, "web")
	build := exec.Command("go", "build", "-o", bin, "./testdata/web")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build testdata/web: %v\n%s", err, out)
	}
	binary, _ := os.ReadFile(bin)
	img, err := oci.ContainerImage(binary, oci.ContainerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oci.Push(ctx, img, reg+"/fn/web:1"); err != nil {
		t.Fatal(err)
	}
	network := testBridge(t, dir)
	connect := func(ctx context.Context, sink containers.LogSink) (*containers.Manager, error) {
		return containers.New(ctx, socket, containers.WithLogSink(sink), containers.WithNamespace(containerdNamespace),
			containers.WithStateDir(filepath.Join(dir, "manager")), containers.WithNetwork(network),
			containers.WithLogger(discardLogger()))
	}
	stateDir := filepath.Join(dir, "provider")
	open := func() *Backend {
		b, err := New(ctx, stateDir, engine, WithLogger(discardLogger()), WithContainers(connect))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close(ctx) })
		return b
	}
	ready := func(b *Backend, name string) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			if st, err := b.Function(ctx, name, ""); err == nil && st.AvailableReplicas > 0 {
				return
			}
			if time.Now().After(deadline) {
				st, err := b.Function(ctx, name, "")
				t.Fatalf("%s not ready after 60s: %+v %v", name, st, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	instances := func(b *Backend) map[string]bool {
		out := map[string]bool{}
		for _, m := range collect(t, b, provider.LogRequest{Name: "web"}) {
			if strings.HasPrefix(m.Text, "served ") {
				out[m.Instance] = true
			}
		}
		return out
	}

	b := open()
	wantErr(t, b.CreateSecret(ctx, provider.Secret{Name: "s", Value: "hush"}), nil)
	wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: "web", Image: reg + "/fn/web:1",
		EnvVars: map[string]string{"GREETING": "hi"}, Secrets: []string{"s"}}), nil)
	wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: "echo", Image: reg + "/fn/echo:1"}), nil)
	ready(b, "web")
	webURL, echoURL := serve(t, b, "web"), serve(t, b, "echo")
	if code, body, _ := get(t, "GET", webURL+"/a", ""); code != 200 || body != "web GREETING=hi SECRET=hush PATH=/a" {
		t.Fatalf("container function: %d %q", code, body)
	}
	if code, _, _ := get(t, "POST", echoURL+"/", "x"); code != 201 {
		t.Fatalf("wasm function beside it: %d", code)
	}
	waitFor(t, func() bool { return len(instances(b)) == 1 })

	wantErr(t, b.Scale(ctx, "web", "", 0), nil)
	_, err = b.Invoker(ctx, "web", "")
	wantErr(t, err, provider.ErrUnavailable)
	wantErr(t, b.Scale(ctx, "web", "", 1), nil)
	ready(b, "web")
	if code, _, _ := get(t, "GET", webURL+"/b", ""); code != 200 {
		t.Fatalf("after scale from zero: %d", code)
	}
	waitFor(t, func() bool { return len(instances(b)) == 2 })
	before := instances(b)

	wantErr(t, b.Close(ctx), nil)
	b = open()
	ready(b, "web")
	if code, _, _ := get(t, "GET", webURL+"/c", ""); code != 200 {
		t.Fatalf("after restart: %d", code)
	}
	waitFor(t, func() bool { return len(instances(b)) == 1 })
	for id := range instances(b) {
		if !before[id] {
			t.Fatalf("after restart the call was served by %s, not by the adopted container (%v)", id, before)
		}
	}
	wantErr(t, b.Delete(ctx, "web", ""), nil)

	// Containers of a function the state does not know are removed at start.
	wantErr(t, b.Deploy(ctx, provider.FunctionDeployment{Service: "lost", Image: reg + "/fn/web:1"}), nil)
	wantErr(t, b.Close(ctx), nil)
	wantErr(t, os.Remove(filepath.Join(stateDir, "functions", provider.DefaultNamespace, "lost.json")), nil)
	b = open()
	c, err := containerd.New(socket)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if list, _ := c.Containers(namespaces.WithNamespace(ctx, containerdNamespace)); len(list) != 0 {
		t.Fatalf("%d containers left after delete and orphan removal", len(list))
	}
}
