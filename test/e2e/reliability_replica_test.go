//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/testenv"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesReplicaKill takes one of a function's 3 replicas away
// while 5 workers keep calling it through the provider binary, two ways:
// the pod force-deleted (grace 0, admin client), and the replica's process
// SIGKILLed in place (a crash: the pod stays listed until the kubelet sees
// the container gone). Calls that start once the EndpointSlice no longer
// lists the replica as ready (plus the time the provider's watch takes to
// see that) must all succeed and the load must keep being served. Before
// that, each connection the proxy held to the dead replica may fail one
// call (sent before the kill, or sent on a pooled connection the kill had
// just reset) — at most 5, the concurrency; a call whose dial is refused
// is retried on another replica and must not fail.
func TestKubernetesReplicaKill(t *testing.T) {
	const (
		fn          = "victim"
		query       = "?n=1000"
		concurrency = 5
		watchLag    = time.Second
	)
	c := newCluster(t, testNamespace("replica"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	image := c.pushFunction(ctx, t, "prime-numbers", time.Now().Format("150405.000"))
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()
	want := deployReady(ctx, t, c, api, fw.FunctionDeployment{Service: fn, Image: image}, 3, query)

	for _, tc := range []struct {
		name     string
		needRoot bool
		kill     func(t *testing.T, pod corev1.Pod)
	}{
		{"force delete pod", false, func(t *testing.T, pod corev1.Pod) {
			zero := int64(0)
			if err := c.admin.CoreV1().Pods(c.namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
				t.Error(err)
			}
		}},
		{"SIGKILL replica process", true, func(t *testing.T, pod corev1.Pod) { killContainer(ctx, t, pod) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.needRoot && os.Geteuid() != 0 {
				testenv.Missing(t, "killing a container needs root (the cluster's containerd socket)")
			}
			waitFor(t, 2*time.Minute, "3 ready endpoints", func() bool { return len(c.podAddrs(ctx, t, fn)) == 3 })
			pods := c.functionPods(ctx, t, fn)
			i := slices.IndexFunc(pods, func(p corev1.Pod) bool { return p.DeletionTimestamp == nil && p.Status.PodIP != "" })
			if i < 0 {
				t.Fatalf("no live pod of %s", fn)
			}
			victim := pods[i]
			addr := victim.Status.PodIP + ":8080"

			l := startLoad(concurrency, 0, api.url+"/function/"+fn+query, want)
			time.Sleep(2 * time.Second)
			killed := time.Now()
			tc.kill(t, victim)
			var dropped time.Time
			for dropped.IsZero() && time.Since(killed) < time.Minute {
				if !slices.Contains(c.podAddrs(ctx, t, fn), addr) {
					dropped = time.Now()
				}
				time.Sleep(20 * time.Millisecond)
			}
			if dropped.IsZero() {
				l.stop()
				t.Fatalf("the EndpointSlice still lists %s as ready a minute after the kill", addr)
			}
			// Keep the load on until 3 replicas are ready again, and at least 5 s.
			waitFor(t, 2*time.Minute, "3 ready endpoints again", func() bool { return len(c.podAddrs(ctx, t, fn)) == 3 })
			replaced := time.Now()
			for time.Since(dropped) < 5*time.Second {
				time.Sleep(100 * time.Millisecond)
			}
			res := l.stop()
			end := time.Now()

			before, firstBefore := res.errs(time.Time{}, killed)
			during, firstDuring := res.errs(killed, dropped.Add(watchLag))
			after, firstAfter := res.errs(dropped.Add(watchLag), time.Time{})
			perSec := float64(res.served(dropped, end)) / end.Sub(dropped).Seconds()
			t.Logf("BENCH kubernetes replica kill, %s (3 replicas, c=%d, GET %s): %v; EndpointSlice dropped the replica %s after the kill, 3 ready again after %s; errors before the kill %d, from the kill to the drop+%s %d, after %d; served after the drop %.0f req/s",
				tc.name, concurrency, query, res, dropped.Sub(killed).Round(time.Millisecond), replaced.Sub(killed).Round(time.Millisecond),
				before, watchLag, during, after, perSec)
			for _, e := range firstDuring {
				t.Logf("error between the kill and the drop: %s", strings.TrimSpace(e))
			}
			if before != 0 {
				t.Errorf("%d errors before the kill: %v", before, firstBefore)
			}
			if during > concurrency {
				t.Errorf("%d errors between the kill and the drop (at most one per connection to the replica, %d): %v", during, concurrency, firstDuring)
			}
			if after != 0 {
				t.Errorf("%d errors after the EndpointSlice dropped the replica: %v", after, firstAfter)
			}
			if perSec < 10 {
				t.Errorf("only %.1f req/s served after the drop: the load was not kept being served", perSec)
			}
		})
	}
}

// killContainer SIGKILLs the task of a pod's (only) container through the
// cluster's containerd, as a crash of the function process would. It
// reports failures with t.Errorf: the caller has a load to stop.
func killContainer(ctx context.Context, t *testing.T, pod corev1.Pod) {
	t.Helper()
	if len(pod.Status.ContainerStatuses) != 1 {
		t.Errorf("pod %s has %d container statuses", pod.Name, len(pod.Status.ContainerStatuses))
		return
	}
	_, id, ok := strings.Cut(pod.Status.ContainerStatuses[0].ContainerID, "://")
	if !ok {
		t.Errorf("container ID %q", pod.Status.ContainerStatuses[0].ContainerID)
		return
	}
	run := os.Getenv("FAAS_WASM_CLUSTER_RUN")
	if run == "" {
		run = "/run/faas-wasm-cluster"
	}
	cmd := exec.CommandContext(ctx, "ctr", "--address", filepath.Join(run, "containerd.sock"), "--namespace", "k8s.io",
		"task", "kill", "--signal", "SIGKILL", id)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("ctr task kill %s: %v: %s", id, err, out)
	}
}
