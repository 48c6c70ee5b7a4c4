package shim

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/namespaces"
	coci "github.com/containerd/containerd/oci"
	dockerremote "github.com/containerd/containerd/remotes/docker"
	"github.com/faas-wasm/faas-wasm/oci"
	"github.com/google/go-containerregistry/pkg/registry"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// harness is a private containerd (own root, state, socket, config) whose
// PATH holds freshly built containerd-shim-faaswasm-v1 and faaswasm-runner,
// plus a loopback registry with the test images, pulled into testNS. It is
// shared by the package's tests, started on first use and stopped by
// TestMain even when tests fail; containerd dies with the test binary.
type harness struct {
	dir      string
	socket   string
	cmd      *exec.Cmd
	client   *containerd.Client
	registry *httptest.Server
	images   map[string]containerd.Image
}

// testNS is the containerd namespace of this run (also the parent of its
// cgroups), unique so a crashed earlier run cannot collide.
var testNS = fmt.Sprintf("fwshimtest-%d", os.Getpid())

var (
	harnessOnce sync.Once
	testEnv     *harness
	harnessErr  error
	skipReason  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if testEnv != nil {
		testEnv.stop()
	}
	os.Exit(code)
}

// requireHarness returns the shared harness, skipping when containerd
// cannot run here (not root, no containerd, runc's shim for the native
// comparison, or ip).
func requireHarness(t testing.TB) *harness {
	t.Helper()
	harnessOnce.Do(func() {
		if os.Geteuid() != 0 {
			skipReason = "shim tests need root"
			return
		}
		for _, b := range []string{"containerd", "containerd-shim-runc-v2", "ip"} {
			if _, err := exec.LookPath(b); err != nil {
				skipReason = b + " is not installed"
				return
			}
		}
		testEnv, harnessErr = startHarness()
	})
	if skipReason != "" {
		t.Skip(skipReason)
	}
	if harnessErr != nil {
		t.Fatalf("shim test harness: %v", harnessErr)
	}
	return testEnv
}

func goBuild(env []string, out, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), env...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
	}
	return nil
}

// testCacheDir is the runners' compiled-module cache; it outlives the test
// run so repeated runs do not compile the Go guests again.
func testCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	return filepath.Join(base, "faas-wasm", "shim-test-cache")
}

func startHarness() (*harness, error) {
	dir, err := os.MkdirTemp("", "fwshim")
	if err != nil {
		return nil, err
	}
	h := &harness{dir: dir, socket: filepath.Join(dir, "containerd.sock"), images: map[string]containerd.Image{}}
	bin := filepath.Join(dir, "bin")
	builds := []struct {
		env      []string
		out, pkg string
	}{
		{nil, filepath.Join(bin, "containerd-shim-faaswasm-v1"), "../cmd/containerd-shim-faaswasm-v1"},
		{nil, filepath.Join(bin, RunnerBinary), "../cmd/faaswasm-runner"},
		{[]string{"GOOS=wasip1", "GOARCH=wasm"}, filepath.Join(dir, "guest.wasm"), "./testdata/guest"},
		{[]string{"GOOS=wasip1", "GOARCH=wasm"}, filepath.Join(dir, "prime.wasm"), "../functions/prime-numbers"},
		{[]string{"CGO_ENABLED=0", "GOOS=linux"}, filepath.Join(dir, "prime"), "../functions/prime-numbers"},
		{[]string{"CGO_ENABLED=0", "GOOS=linux"}, filepath.Join(dir, "pause"), "./testdata/pause"},
	}
	for _, b := range builds {
		if err := goBuild(b.env, b.out, b.pkg); err != nil {
			return h, err
		}
	}
	cfg := fmt.Sprintf(`version = 2
root = %[1]q
state = %[2]q
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
[grpc]
  address = %[3]q
[ttrpc]
  address = %[4]q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), h.socket, h.socket+".ttrpc")
	cfgPath := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return h, err
	}
	logf, err := os.Create(filepath.Join(dir, "containerd.log"))
	if err != nil {
		return h, err
	}
	defer logf.Close()
	h.cmd = exec.Command("containerd", "--config", cfgPath)
	h.cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), EnvCacheDir+"="+testCacheDir())
	h.cmd.Stdout, h.cmd.Stderr = logf, logf
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	// Pdeathsig fires when the forking *thread* exits, and the tests'
	// namespace dialers discard threads: fork from a thread kept for life.
	started := make(chan error)
	go func() {
		runtime.LockOSThread()
		started <- h.cmd.Start()
		select {}
	}()
	if err := <-started; err != nil {
		return h, fmt.Errorf("start containerd: %w", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := containerd.New(h.socket, containerd.WithTimeout(time.Second), containerd.WithDefaultNamespace(testNS))
		if err == nil {
			if _, err = c.Version(context.Background()); err == nil {
				h.client = c
				break
			}
			c.Close()
		}
		if time.Now().After(deadline) {
			return h, fmt.Errorf("containerd did not answer: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.registry = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	return h, h.pushImages()
}

func (h *harness) pushImages() error {
	trap, err := wasmtime.Wat2Wasm(`(module (memory (export "memory") 1) (func (export "_start") unreachable))`)
	if err != nil {
		return err
	}
	read := func(name string) []byte {
		b, _ := os.ReadFile(filepath.Join(h.dir, name))
		return b
	}
	host := strings.TrimPrefix(h.registry.URL, "http://")
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	resolver := dockerremote.NewResolver(dockerremote.ResolverOptions{
		Hosts: dockerremote.ConfigureDefaultRegistries(dockerremote.WithPlainHTTP(func(string) (bool, error) { return true, nil })),
	})
	// guest-unique differs from guest by a custom section naming this run,
	// so its compiled form is never in the (persistent) test cache.
	unique := withCustomSection(read("guest.wasm"), "faas-wasm-test-run", fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()))
	for name, module := range map[string][]byte{"guest": read("guest.wasm"), "guest-unique": unique, "prime-wasm": read("prime.wasm"), "trap": trap, "prime-native": read("prime"), "pause": read("pause")} {
		built, err := buildImage(name, module)
		if err != nil {
			return fmt.Errorf("image %s: %w", name, err)
		}
		ref := host + "/" + name + ":1"
		if _, err := oci.Push(ctx, built, ref); err != nil {
			return fmt.Errorf("push %s: %w", name, err)
		}
		pulled, err := h.client.Pull(ctx, ref, containerd.WithResolver(resolver), containerd.WithPullUnpack)
		if err != nil {
			return fmt.Errorf("pull %s: %w", name, err)
		}
		h.images[name] = pulled
	}
	// The CNCF Wasm artifact has no layer containerd can unpack: fetch only.
	art, err := oci.WasmImage(read("guest.wasm"), oci.FormArtifact)
	if err != nil {
		return err
	}
	ref := host + "/guest-artifact:1"
	if _, err := oci.Push(ctx, art, ref); err != nil {
		return fmt.Errorf("push artifact: %w", err)
	}
	pulled, err := h.client.Pull(ctx, ref, containerd.WithResolver(resolver))
	if err != nil {
		return fmt.Errorf("pull artifact: %w", err)
	}
	h.images["guest-artifact"] = pulled
	return nil
}

// logTail returns the end of containerd's log (which holds the shims' logs).
func (h *harness) logTail() string {
	b, _ := os.ReadFile(filepath.Join(h.dir, "containerd.log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// logMatching returns containerd's log lines that contain s.
func (h *harness) logMatching(s string) string {
	b, _ := os.ReadFile(filepath.Join(h.dir, "containerd.log"))
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func (h *harness) stop() {
	if h.client != nil {
		ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), testNS), 30*time.Second)
		if list, err := h.client.Containers(ctx); err == nil {
			for _, c := range list {
				if task, err := c.Task(ctx, nil); err == nil {
					task.Delete(ctx, containerd.WithProcessKill)
				}
				c.Delete(ctx, containerd.WithSnapshotCleanup)
			}
		}
		cancel()
		h.client.Close()
	}
	if h.registry != nil {
		h.registry.Close()
	}
	if h.cmd != nil && h.cmd.Process != nil {
		h.cmd.Process.Signal(syscall.SIGTERM)
		h.cmd.Wait()
	}
	unmountUnder(h.dir)
	os.RemoveAll(h.dir)
	// The containers' cgroups are gone; their parent, named after testNS,
	// is not (runc leaves it too).
	parents, _ := filepath.Glob("/sys/fs/cgroup/*/" + testNS)
	for _, p := range parents {
		os.Remove(p)
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
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			points = append(points, f[4])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		unix.Unmount(points[i], unix.MNT_DETACH)
	}
}

// newContainer creates a container of image with runtime rt in the network
// namespace at nsPath; it is deleted (with its task) at cleanup.
func (h *harness) newContainer(t testing.TB, id, image, rt, nsPath string, opts ...coci.SpecOpts) containerd.Container {
	t.Helper()
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	img := h.images[image]
	opts = append([]coci.SpecOpts{coci.WithImageConfig(img),
		coci.WithLinuxNamespace(specs.LinuxNamespace{Type: specs.NetworkNamespace, Path: nsPath})}, opts...)
	c, err := h.client.NewContainer(ctx, id, containerd.WithNewSnapshot(id+"-snap", img),
		containerd.WithNewSpec(opts...), containerd.WithRuntime(rt, nil))
	if err != nil {
		t.Fatalf("new container %s: %v", id, err)
	}
	t.Cleanup(func() {
		if task, err := c.Task(ctx, nil); err == nil {
			task.Delete(ctx, containerd.WithProcessKill)
		}
		c.Delete(ctx, containerd.WithSnapshotCleanup)
	})
	return c
}

// startTask creates and starts c's task with its output in out (nil = none).
func startTask(t testing.TB, c containerd.Container, out io.Writer) containerd.Task {
	t.Helper()
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	creator := cio.NullIO
	if out != nil {
		creator = cio.NewCreator(cio.WithStreams(nil, out, out))
	}
	task, err := c.NewTask(ctx, creator)
	if err != nil {
		t.Fatalf("new task %s: %v", c.ID(), err)
	}
	if err := task.Start(ctx); err != nil {
		t.Fatalf("start task %s: %v", c.ID(), err)
	}
	return task
}
