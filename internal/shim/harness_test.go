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
	"strings"
	"testing"
	"time"

	"github.com/bytecodealliance/wasmtime-go/v39"
	"github.com/containerd/containerd"
	"github.com/containerd/containerd/cio"
	"github.com/containerd/containerd/namespaces"
	coci "github.com/containerd/containerd/oci"
	dockerremote "github.com/containerd/containerd/remotes/docker"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/leaktest"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/runtime/wasm"
)

// harness is a private containerd (containerdtest) whose PATH holds
// freshly built containerd-shim-faaswasm-v1 and faaswasm-runner, plus a
// loopback registry with the test images, pulled into testNS. It is shared
// by the package's tests, started on first use and stopped by TestMain even
// when tests fail; containerd dies with the test binary.
type harness struct {
	*containerdtest.Daemon
	client   *containerd.Client
	registry *httptest.Server
	images   map[string]containerd.Image
	keyDir   string // the node's trusted build key ($FAASWASM_TRUSTED_BUILD_KEYS) and its private half
}

// testNS is the containerd namespace of this run (also the parent of its
// cgroups), unique so a crashed earlier run cannot collide.
var testNS = fmt.Sprintf("fwshimtest-%d", os.Getpid())

// shared is the package's harness.
var shared = containerdtest.NewShared(startHarness, (*harness).stop)

// TestMain stops the harness after all tests ran, then checks that no
// goroutine the tests started still runs (internal/leaktest). Started with
// $FAASWASM_TEST_FAKE_DAEMON set, the test binary is TestStartDaemonOutlivesStart's
// stand-in for the shim daemon instead.
func TestMain(m *testing.M) {
	if os.Getenv(envFakeDaemon) != "" {
		fakeDaemon()
	}
	leaktest.Main(m, shared.Close)
}

// requireHarness returns the shared harness, skipping when containerd
// cannot run here (not root, no containerd, runc's shim for the native
// comparison, or ip).
func requireHarness(t testing.TB) *harness {
	t.Helper()
	return shared.Get(t)
}

func goBuild(env []string, out, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = pkg
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

// startHarness starts the daemon with the freshly built shim and runner on
// its PATH and the registry, and pulls the test images; on failure it stops
// what it started.
func startHarness() (*harness, error) {
	keyDir, err := os.MkdirTemp("", "fwshim-keys-")
	if err != nil {
		return nil, err
	}
	if err := precompiled.WriteKeyPair(filepath.Join(keyDir, "build.key"), filepath.Join(keyDir, "build.pub")); err != nil {
		os.RemoveAll(keyDir)
		return nil, err
	}
	d, err := containerdtest.New("fwshim", containerdtest.WithRequired("containerd-shim-runc-v2", "ip"),
		containerdtest.WithEnv(EnvCacheDir+"="+testCacheDir(), EnvIdleRelease+"=1s", EnvShimGroup+"="+GroupPod,
			EnvTrustedBuildKeys+"="+filepath.Join(keyDir, "build.pub")))
	if err != nil {
		os.RemoveAll(keyDir)
		return nil, err
	}
	h := &harness{Daemon: d, images: map[string]containerd.Image{}, keyDir: keyDir}
	fail := func(err error) (*harness, error) {
		h.stop()
		return nil, err
	}
	dir, bin := d.Dir(), d.BinDir()
	builds := []struct {
		env      []string
		out, pkg string
	}{
		{nil, filepath.Join(bin, "containerd-shim-faaswasm-v1"), "../../cmd/containerd-shim-faaswasm-v1"},
		{nil, filepath.Join(bin, RunnerBinary), "../../cmd/faaswasm-runner"},
		{[]string{"GOOS=wasip1", "GOARCH=wasm"}, filepath.Join(dir, "guest.wasm"), "./testdata/guest"},
		{[]string{"GOOS=wasip1", "GOARCH=wasm"}, filepath.Join(dir, "prime.wasm"), "../../functions/go/prime-numbers"},
		{[]string{"CGO_ENABLED=0", "GOOS=linux"}, filepath.Join(dir, "prime"), "../../functions/go/prime-numbers"},
		{[]string{"CGO_ENABLED=0", "GOOS=linux"}, filepath.Join(dir, "pause"), "./testdata/pause"},
	}
	for _, b := range builds {
		if err := goBuild(b.env, b.out, b.pkg); err != nil {
			return fail(err)
		}
	}
	if h.client, err = d.Client(containerd.WithDefaultNamespace(testNS)); err != nil {
		return fail(err)
	}
	h.registry = httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	if err := h.pushImages(); err != nil {
		return fail(err)
	}
	return h, nil
}

func (h *harness) pushImages() error {
	trap, err := wasmtime.Wat2Wasm(`(module (memory (export "memory") 1) (func (export "_start") unreachable))`)
	if err != nil {
		return err
	}
	read := func(name string) []byte {
		b, _ := os.ReadFile(filepath.Join(h.Dir(), name))
		return b
	}
	host := strings.TrimPrefix(h.registry.URL, "http://")
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	// guest-unique differs from guest by a custom section naming this run,
	// so its compiled form is never in the (persistent) test cache.
	unique := withCustomSection(read("guest.wasm"), "faas-wasm-test-run", fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()))
	// guest-signed, unique too, carries its signed precompiled layer.
	signed := withCustomSection(read("guest.wasm"), "faas-wasm-test-signed", fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()))
	// guest-twin and guest-twin-signed hold one more unique module, the
	// second with its signed precompiled layer: twins of one config digest,
	// as two builds of the same function are.
	twin := withCustomSection(read("guest.wasm"), "faas-wasm-test-twin", fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()))
	// trap-unique compiles fast and no image has its precompiled layer.
	trapUnique := withCustomSection(trap, "faas-wasm-test-run", fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()))
	for name, module := range map[string][]byte{"guest": read("guest.wasm"), "guest-unique": unique, "guest-signed": signed,
		"guest-twin": twin, "guest-twin-signed": twin, "prime-wasm": read("prime.wasm"), "trap": trap, "trap-unique": trapUnique,
		"prime-native": read("prime"), "pause": read("pause")} {
		built, err := buildImage(name, module)
		if err != nil {
			return fmt.Errorf("image %s: %w", name, err)
		}
		if strings.HasSuffix(name, "-signed") {
			if built, err = h.addSignedLayer(built, module); err != nil {
				return fmt.Errorf("image %s: %w", name, err)
			}
		}
		if _, err := oci.Push(ctx, built, host+"/"+name+":1"); err != nil {
			return fmt.Errorf("push %s: %w", name, err)
		}
		if err := h.pull(name, true); err != nil {
			return err
		}
	}
	// The CNCF Wasm artifact has no layer containerd can unpack: fetch only.
	art, err := oci.WasmImage(read("guest.wasm"), oci.FormArtifact)
	if err != nil {
		return err
	}
	if _, err := oci.Push(ctx, art, host+"/guest-artifact:1"); err != nil {
		return fmt.Errorf("push artifact: %w", err)
	}
	return h.pull("guest-artifact", false)
}

// pull pulls image name (pushed to the harness's registry) into h's
// containerd, unpacked or only fetched, as h.images[name].
func (h *harness) pull(name string, unpack bool) error {
	ctx := namespaces.WithNamespace(context.Background(), testNS)
	resolver := dockerremote.NewResolver(dockerremote.ResolverOptions{
		Hosts: dockerremote.ConfigureDefaultRegistries(dockerremote.WithPlainHTTP(func(string) (bool, error) { return true, nil })),
	})
	opts := []containerd.RemoteOpt{containerd.WithResolver(resolver)}
	if unpack {
		opts = append(opts, containerd.WithPullUnpack)
	}
	pulled, err := h.client.Pull(ctx, strings.TrimPrefix(h.registry.URL, "http://")+"/"+name+":1", opts...)
	if err != nil {
		return fmt.Errorf("pull %s: %w", name, err)
	}
	h.images[name] = pulled
	return nil
}

// sibling starts a second private containerd like the harness's, with env
// added to its environment, whose PATH holds the same shim and runner
// binaries, and pulls the images named from the harness's registry into
// it. It is stopped at t's cleanup.
func (h *harness) sibling(t *testing.T, env []string, images ...string) *harness {
	t.Helper()
	d := containerdtest.Run(t, "fwnode", containerdtest.WithEnv(append([]string{EnvCacheDir + "=" + testCacheDir(), EnvIdleRelease + "=1s", EnvShimGroup + "=" + GroupPod}, env...)...))
	for _, bin := range []string{"containerd-shim-faaswasm-v1", RunnerBinary} {
		if err := os.Link(filepath.Join(h.BinDir(), bin), filepath.Join(d.BinDir(), bin)); err != nil {
			t.Fatal(err)
		}
	}
	s := &harness{Daemon: d, registry: h.registry, images: map[string]containerd.Image{}}
	var err error
	if s.client, err = d.Client(containerd.WithDefaultNamespace(testNS)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.client.Close() })
	for _, name := range images {
		if err := s.pull(name, true); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// addSignedLayer adds module's precompiled layer to img, signed with the
// harness's trusted build key, as faas-wasm build --sign-key does.
func (h *harness) addSignedLayer(img v1.Image, module []byte) (v1.Image, error) {
	key, err := precompiled.LoadPrivateKey(filepath.Join(h.keyDir, "build.key"))
	if err != nil {
		return nil, err
	}
	eng, err := wasm.NewEngine(h.Dir(), wasm.WithPooling(false))
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	native, err := eng.Precompile(module)
	if err != nil {
		return nil, err
	}
	c := precompiled.Sign(key, precompiled.Digest(module), eng.Fingerprint(), native)
	return oci.AddPrecompiled(img, oci.Precompiled{Data: native, Engine: c.Engine, Module: c.Module, KeyID: c.KeyID, Signature: c.Signature})
}

// logTail returns the end of containerd's log (which holds the shims' logs).
func (h *harness) logTail() string {
	b, _ := os.ReadFile(h.LogPath())
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// logMatching returns containerd's log lines that contain s.
func (h *harness) logMatching(s string) string {
	b, _ := os.ReadFile(h.LogPath())
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// stop closes the client and the registry, then the daemon, which deletes
// every container, the temp dir and the cgroup parent named after testNS.
func (h *harness) stop() {
	if h.client != nil {
		h.client.Close()
	}
	if h.registry != nil {
		h.registry.Close()
	}
	h.Close()
	os.RemoveAll(h.keyDir)
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
	t.Cleanup(func() { _ = containerdtest.DeleteContainer(ctx, c) })
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
		t.Fatalf("new task %s: %v\ncontainerd and shim log:\n%s", c.ID(), err, requireHarness(t).logTail())
	}
	if err := task.Start(ctx); err != nil {
		t.Fatalf("start task %s: %v\ncontainerd and shim log:\n%s", c.ID(), err, requireHarness(t).logTail())
	}
	return task
}
