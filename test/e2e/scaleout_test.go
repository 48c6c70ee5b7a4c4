//go:build e2e

package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/precompiled"
	"github.com/faas-wasm/faas-wasm/internal/shim"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesWasmScaleOut deploys a Go Wasm function of a new digest
// whose image carries its precompiled layer signed with the cluster's build
// key (hack/shim/cluster.sh has the node installer make the node trust it;
// the provider trusts it too, as in hack/bench-k8s.sh). The first pod must
// get the layer installed by the node's shim instead of compiling (its log
// says so) — also after earlier tests ran unsigned builds of the same
// module (the same config digest: the CRI plugin then names the pod's image
// after such a build, which has no layer; shim
// TestSignedPrecompiledLayerOfTwinImage). Then it scales out, as the bench's memory phase does: right
// after the first pod is Ready to 2 replicas, and once those have idled
// past the runner's idle memory release (runspec.DefaultIdleRelease) to 3.
// Every replica must become Ready and answer on its own address.
func TestKubernetesWasmScaleOut(t *testing.T) {
	requireWasmShim(t)
	c := newCluster(t, testNamespace("scaleout"))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	keys := filepath.Join(filepath.Dir(os.Getenv("FAAS_WASM_KUBECONFIG")), "build-keys")
	key, err := precompiled.LoadPrivateKey(filepath.Join(keys, "build.key"))
	if err != nil {
		t.Fatalf("the cluster's build key (hack/shim/cluster.sh makes it): %v", err)
	}
	image := c.pushFunction(ctx, t, "prime-numbers-wasm", fmt.Sprint(time.Now().UnixNano()), builder.WithSignKey(key))
	forgetOnNode(ctx, t, image)
	p := c.startBinary(t, "--autoscale=false", "--trusted-build-key", filepath.Join(keys, "build.pub"))
	api := p.api()
	const name, query = "scale-wasm", "?n=1000"
	api.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", fw.FunctionDeployment{Service: name, Image: image})
	waitFor(t, 3*time.Minute, "the first pod ready", func() bool { return len(c.podAddrs(ctx, t, name)) == 1 })
	if log := c.podLogs(ctx, t, name); !strings.Contains(log, `from="signed precompiled layer"`) {
		t.Fatalf("the node did not install the signed precompiled layer of a new digest; pod log:\n%s", log)
	}
	want := waitReady(ctx, t, c, api, name, 1, query)

	scale := func(replicas int) {
		t.Helper()
		start := time.Now()
		api.expect(t, http.StatusAccepted, http.MethodPost, "/system/scale-function/"+name, fw.ScaleServiceRequest{ServiceName: name, Replicas: uint64(replicas)})
		waitFor(t, 3*time.Minute, fmt.Sprintf("%d ready endpoints", replicas), func() bool { return len(c.podAddrs(ctx, t, name)) == replicas })
		for _, addr := range c.podAddrs(ctx, t, name) {
			code, body := get(t, "http://"+addr+"/"+query)
			if code != http.StatusOK || body != want {
				t.Fatalf("replica %s answers %d %.200q, want 200 %.200q", addr, code, body, want)
			}
		}
		t.Logf("%d replicas ready and answering %s after the scale", replicas, time.Since(start).Round(time.Millisecond))
	}
	scale(2)
	time.Sleep(runspec.DefaultIdleRelease + 5*time.Second)
	scale(3)
}

// forgetOnNode removes the compiled module of image from the node's cache
// (this machine's: the cluster has one node), so its next pod prepares it
// anew even when an earlier test ran the same module.
func forgetOnNode(ctx context.Context, t *testing.T, image string) {
	t.Helper()
	pulled, err := oci.PullWasm(ctx, image)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pulled.Module)
	entries, _ := filepath.Glob(filepath.Join(shim.DefaultCacheDir, hex.EncodeToString(sum[:])+".cwasm*"))
	for _, e := range entries {
		if err := os.Remove(e); err != nil {
			t.Fatal(err)
		}
	}
}

// functionPods lists function name's pods, terminating ones included.
func (c *cluster) functionPods(ctx context.Context, t *testing.T, name string) []corev1.Pod {
	t.Helper()
	l, err := c.admin.CoreV1().Pods(c.namespace).List(ctx, metav1.ListOptions{LabelSelector: fw.LabelFunction + "=" + name})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// podLogs returns the logs of function name's pods.
func (c *cluster) podLogs(ctx context.Context, t *testing.T, name string) string {
	t.Helper()
	var out strings.Builder
	for _, pod := range c.functionPods(ctx, t, name) {
		b, err := c.admin.CoreV1().Pods(c.namespace).GetLogs(pod.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
		if err != nil {
			t.Fatalf("logs of %s: %v", pod.Name, err)
		}
		fmt.Fprintf(&out, "%s:\n%s", pod.Name, b)
	}
	return out.String()
}

// get calls url once without keep-alive and returns the status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}
