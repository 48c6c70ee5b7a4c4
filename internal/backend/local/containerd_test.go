package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/containerd/containerd"
	"github.com/containerd/containerd/namespaces"

	"github.com/faas-wasm/faas-wasm/internal/backend/local/containers"
	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// containerdNamespace is the containerd namespace the test's manager uses.
const containerdNamespace = "faas-wasm-local-test"

// startContainerd runs a private containerd (containerdtest) for the test
// and returns its socket and dir; it is purged, stopped and deleted at
// cleanup, also when the test fails. It skips when the machine cannot run
// containers.
func startContainerd(t *testing.T) (socket, dir string) {
	t.Helper()
	d := containerdtest.Run(t, "fwlocal", containerdtest.WithRequired("runc", "/usr/lib/cni/bridge"))
	return d.Socket(), d.Dir()
}

// testBridge returns a CNI network with a bridge and a /24 of its own; the
// bridge is deleted at cleanup.
func testBridge(t *testing.T, dir string) containers.Network {
	t.Helper()
	subnet, err := containerdtest.FreeSubnet()
	if err != nil {
		t.Fatal(err)
	}
	bridge := fmt.Sprintf("fwl%d", os.Getpid()%1000000)
	t.Cleanup(func() { exec.Command("ip", "link", "del", bridge).Run() })
	return containers.Network{Name: "fwl-" + bridge, Bridge: bridge, Subnet: subnet,
		IPAMDir: filepath.Join(dir, "ipam"), NoIPMasq: true}
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
	open := func() *Host {
		b, err := New(ctx, stateDir, engine, WithLogger(discardLogger()), WithContainers(connect))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close(ctx) })
		return b
	}
	ready := func(b *Host, name string) {
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
	instances := func(b *Host) map[string]bool {
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
