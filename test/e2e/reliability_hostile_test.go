//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/oci"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesHostileWasm runs test/reliability's hostile guest as two
// Wasm functions on the cluster (exec_timeout 3s, 64Mi, no allowed hosts)
// beside a neighbour Wasm function under steady load (4 workers), all
// through the provider binary: "hostile" runs in its pod (cold serve off),
// "hostile-cold" in the provider itself (its pod can never be scheduled:
// it asks for a node that does not exist, so every call is served by the
// provider). Each misbehaviour, twice, must end in bounded time with the
// same clear error from both, and leave the hostile function answering its
// next caller; the neighbour must not fail a single call, and the hostile
// pod must not be restarted.
func TestKubernetesHostileWasm(t *testing.T) {
	requireWasmShim(t)
	c := newCluster(t, testNamespace("hostile"))
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	tag := time.Now().Format("150405.000")
	neighbour := c.pushWasmGuest(ctx, t, "./test/guests/neighbour", "neighbour", tag)
	hostile := c.pushWasmGuest(ctx, t, "./test/guests/hostile", "hostile", tag)
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()
	fns := []fw.FunctionDeployment{
		{Service: "neighbour", Image: neighbour},
		// Its calls go to its pod, the subject here: the provider's own
		// serving of calls before a pod is ready (cold-serve) is not.
		{Service: "hostile", Image: hostile, EnvVars: map[string]string{"exec_timeout": "3s"}, Limits: &fw.FunctionResources{Memory: "64Mi"},
			Annotations: map[string]string{wasmopts.AnnotationColdServe: "false"}},
		{Service: "hostile-cold", Image: hostile, EnvVars: map[string]string{"exec_timeout": "3s"}, Limits: &fw.FunctionResources{Memory: "64Mi"},
			Constraints: []string{"faas-wasm.test/no-such-node=true"}},
	}
	for _, fn := range fns {
		deploy(t, api, fn, 1)
	}
	for _, fn := range fns[:2] {
		waitReady(ctx, t, c, api, fn.Service, 1, "")
	}
	// hostile-cold's first call waits while the provider pulls and compiles
	// the module (seconds under load): made here, outside the timed cases.
	began := time.Now()
	if code, _, body := api.call(t, http.MethodGet, "/function/hostile-cold", nil); code != http.StatusOK || body != "harmless" {
		t.Fatalf("hostile-cold's first call: %d %.120q", code, body)
	}
	t.Logf("hostile-cold answered its first call from the provider after %s (pull and compile)", time.Since(began).Round(time.Millisecond))

	l := startLoad(4, 0, api.url+"/function/neighbour", "ok ")
	stopped := false
	defer func() {
		if !stopped {
			l.stop()
		}
	}()
	for _, tc := range []struct {
		do    string
		code  int
		says  string // lower case, must appear in the answer
		never string // must not appear in the answer
		// same: the pod's and the provider's answers are the same text
		// (the function's name aside): one rule writes a fault's answer.
		same bool
	}{
		{"loop", http.StatusGatewayTimeout, "timed out", "", true},
		// The memory limit's message; 64Mi leaves the module 32 MiB on both
		// paths (runspec.LinearMemoryLimit).
		{"mem", http.StatusInternalServerError, "of 33554432 bytes in use", "", false},
		{"recurse", http.StatusInternalServerError, "trap", "", false},
		{"panic", http.StatusInternalServerError, "exited with code 2", "", true},
		{"exit", http.StatusInternalServerError, "exited with code 3", "", true},
		{"files", http.StatusOK, "denied /etc/passwd", "LEAKED", true},
		// The API server's node address: reachable from pods, not in the (empty) allowed hosts.
		{"net&url=https://10.243.0.1:6443/version", http.StatusForbidden, "allowed-hosts", "REACHED", false},
	} {
		t.Run(strings.Split(tc.do, "&")[0], func(t *testing.T) {
			answers := map[string]string{}
			for _, fn := range []string{"hostile", "hostile-cold"} {
				for round := range 2 {
					start := time.Now()
					code, _, body := api.call(t, http.MethodGet, "/function/"+fn+"?do="+tc.do, nil)
					took := time.Since(start)
					t.Logf("%s do=%s round %d -> %d in %s: %.160q", fn, tc.do, round, code, took.Round(time.Millisecond), body)
					if code != tc.code || !strings.Contains(strings.ToLower(body), tc.says) || tc.never != "" && strings.Contains(body, tc.never) {
						t.Errorf("%s do=%s = %d %.160q, want %d saying %q", fn, tc.do, code, body, tc.code, tc.says)
					}
					answers[fn] = strings.NewReplacer("function "+fn+":", "function FN:", "invoke "+fn+".", "invoke FN.").Replace(body)
					if took > 15*time.Second {
						t.Errorf("%s do=%s took %s", fn, tc.do, took)
					}
					if code, _, body := api.call(t, http.MethodGet, "/function/"+fn, nil); code != http.StatusOK || body != "harmless" {
						t.Errorf("%s after do=%s: %d %.120q", fn, tc.do, code, body)
					}
				}
			}
			if tc.same && answers["hostile"] != answers["hostile-cold"] {
				t.Errorf("do=%s: the pod answered %.200q, the provider %.200q; want the same", tc.do, answers["hostile"], answers["hostile-cold"])
			}
		})
	}
	// Every call of hostile-cold ran in the provider (29: the first, then 7
	// cases twice, each followed by a harmless call).
	served := map[string]string{"function_name": "hostile-cold." + c.namespace, "outcome": "served"}
	if n, _ := metricSample(scrapeMetrics(t, api.url), "faaswasm_provider_served_calls_total", served); n != 29 {
		t.Errorf("faaswasm_provider_served_calls_total%v = %v, want 29", served, n)
	}
	res := l.stop()
	stopped = true
	n, first := res.errs(time.Time{}, time.Time{})
	pods, err := c.admin.CoreV1().Pods(c.namespace).List(ctx, metav1.ListOptions{LabelSelector: fw.LabelFunction + "=hostile"})
	if err != nil {
		t.Fatal(err)
	}
	restarts := int32(0)
	for _, pod := range pods.Items {
		for _, cs := range pod.Status.ContainerStatuses {
			restarts += cs.RestartCount
		}
	}
	t.Logf("BENCH kubernetes hostile Wasm (loop, mem, recurse, panic, exit, files, net; twice each) beside a Wasm neighbour under c=4 load: neighbour %v; hostile pods %d, restarts %d",
		res, len(pods.Items), restarts)
	if n != 0 || len(res.calls) == 0 {
		t.Errorf("neighbour: %d errors in %d calls: %v", n, len(res.calls), first)
	}
	if len(pods.Items) != 1 || restarts != 0 {
		t.Errorf("hostile function: %d pods, %d container restarts; want 1 pod never restarted", len(pods.Items), restarts)
	}
}

// pushWasmGuest builds main package pkg for wasip1 and pushes it as a Wasm
// image (one OCI layer), as the builder does for a function.
func (c *cluster) pushWasmGuest(ctx context.Context, t *testing.T, pkg, name, tag string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+".wasm")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", out, ".")
	cmd.Dir = filepath.Join(c.root, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, b)
	}
	module, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	img, err := oci.WasmImage(module, oci.FormOCILayer)
	if err != nil {
		t.Fatal(err)
	}
	return c.push(ctx, t, img, name, tag)
}
