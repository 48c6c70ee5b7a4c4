package reliability

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/internal/testenv"
	"github.com/faas-wasm/faas-wasm/provider"
)

// hostContainerd is the containerd `make test` starts.
const hostContainerd = "/run/containerd/containerd.sock"

// TestContainerLoadAndReplicaKill runs a container function with two
// replicas on the host's containerd (skipped when it does not answer or
// the test is not root): 10,000 calls at concurrency 50 with zero errors,
// then one replica is SIGKILLed under load and traffic must move to the
// other (errors seen are reported; none are allowed once the dead
// replica is out of rotation).
func TestContainerLoadAndReplicaKill(t *testing.T) {
	if os.Geteuid() != 0 {
		testenv.Missing(t, "container functions need root")
	}
	if _, err := os.Stat(hostContainerd); err != nil {
		testenv.Missingf(t, "no containerd at %s (make test starts it)", hostContainerd)
	}
	marker := "reliability-" + randHex(t)
	ref := pushBox(t, ocitest.NewRegistry(t), marker)
	p := startProvider(t, t.TempDir(), "--containerd-socket", hostContainerd,
		"--function-timeout", "3s", "--read-timeout", "2s", "--write-timeout", "2s")
	name := "rel-" + marker[len(marker)-8:]
	code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: name, Image: ref,
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer},
		Labels:      map[string]string{provider.LabelScaleMin: "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if code == http.StatusNotImplemented {
		testenv.Missingf(t, "containerd does not answer: %s", body)
	}
	if code != http.StatusAccepted {
		t.Fatalf("deploy container function = %d %q", code, body)
	}
	t.Cleanup(func() {
		p.call(http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: name})
	})
	url := p.URL + "/function/" + name
	waitReady(t, url)
	if _, _, err := p.call(http.MethodPost, "/system/scale-function/"+name, provider.ScaleServiceRequest{ServiceName: name, Replicas: 2}); err != nil {
		t.Fatal(err)
	}
	pids := waitPIDs(t, marker, 2)

	rss := p.rssKiB(t)
	res := fixedLoad(10000*scale(), 50, url, "ok")
	t.Logf("container function, 2 replicas, c=50: %v; provider VmRSS %d -> %d KiB", res, rss, p.rssKiB(t))
	if res.errs != 0 {
		t.Fatalf("container load: %d errors: %v", res.errs, res.firstErrs)
	}

	// A call the container never answers is bounded by the provider's
	// timeouts (function 3 s; read and write 2 s each).
	start := time.Now()
	code, body, err = p.call(http.MethodGet, "/function/"+name+"?sleep=60s", nil)
	hung := time.Since(start)
	t.Logf("container call sleeping 60 s: %d %.100q %v after %v", code, body, err, hung.Round(time.Millisecond))
	if err != nil || code != http.StatusGatewayTimeout || hung > 6*time.Second {
		t.Errorf("a hanging container call: %d %v after %v, want 504 after about the 3 s function timeout", code, err, hung)
	}

	stop := steadyLoad(10, url, "ok")
	time.Sleep(time.Second)
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	time.Sleep(5 * time.Second)
	during := stop()
	t.Logf("replica pid %d SIGKILLed under load (10 workers): %v; errors %v", pids[0], during, during.firstErrs)
	after := fixedLoad(2000, 20, url, "ok")
	t.Logf("%v after the kill: %v", time.Since(killed).Round(time.Millisecond), after)
	if after.errs != 0 {
		t.Fatalf("traffic did not move to the live replica: %d errors: %v", after.errs, after.firstErrs)
	}
}

// pushBox builds testdata/box as a static binary, wraps it in a container
// image whose command carries marker, and pushes it.
func pushBox(t *testing.T, registry, marker string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "box")
	cmd := exec.Command("go", "build", "-trimpath", "-o", bin, "./testdata/box")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build box: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.ContainerImage(data, oci.ContainerConfig{Cmd: []string{marker}})
	if err != nil {
		t.Fatal(err)
	}
	ref := registry + "/box:1"
	if _, err := oci.Push(context.Background(), img, ref); err != nil {
		t.Fatal(err)
	}
	return ref
}

// waitReady waits until url answers 200.
func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, err := hit(url, "ok")
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready: %v", url, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitPIDs waits for n processes whose command line holds marker.
func waitPIDs(t *testing.T, marker string, n int) []int {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var pids []int
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if err == nil && strings.Contains(string(b), marker) {
				pids = append(pids, pid)
			}
		}
		if len(pids) >= n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d processes with marker, want %d", len(pids), n)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
