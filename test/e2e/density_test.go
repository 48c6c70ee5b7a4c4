//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/procmem"
	"github.com/faas-wasm/faas-wasm/internal/shim/runspec"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesDensity deploys E2E_DENSITY_N (default 100) idle Wasm
// functions and as many container twins (prime-numbers, one replica each,
// no memory limit: 202 pods requesting 128Mi do not fit the 24 GiB node),
// times each kind's N deploys until every pod is Ready (pods started per
// second; after one warm-up function, so the image is on the node and the
// module compiled), calls each function once, lets each kind idle (5 s; a
// Wasm kind past its runners' idle release, runspec.DefaultIdleRelease),
// and then reads the memory of every process of every pod (its shim, pause, runner or function process;
// a shim daemon serving several pods, as with FAASWASM_SHIM_GROUP=node, by its share) from
// /proc/PID/smaps_rollup: PSS, unique (Private_Clean+Private_Dirty) and RSS
// per pod, and, for the Wasm runners, the mappings of the node's compiled
// module file (*.cwasm) and of the runner binary, to show whether they are
// shared between pods. It takes several minutes and needs root on the
// node (it reads /proc and the pods' cgroups), the Wasm shim in the
// cluster and a kubelet maxPods ≥ 2N (hack/cluster sets 250), so it runs
// only with E2E_DENSITY=1. E2E_DENSITY_OUT names a file for the Markdown
// table.
func TestKubernetesDensity(t *testing.T) {
	if os.Getenv("E2E_DENSITY") != "1" {
		t.Skip("E2E_DENSITY=1 is not set (deploys 2×E2E_DENSITY_N pods: several minutes)")
	}
	n := 100
	if s := os.Getenv("E2E_DENSITY_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("E2E_DENSITY_N=%q: want a positive count", s)
		}
		n = v
	}
	c := newCluster(t, testNamespace("density"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	nodes, err := c.admin.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) != 1 {
		t.Fatalf("want one node: %v", err)
	}
	if maxPods := nodes.Items[0].Status.Allocatable.Pods().Value(); maxPods < int64(2*n) {
		t.Fatalf("the node allows %d pods, the test needs %d: raise the kubelet's maxPods (hack/cluster/configs.sh)", maxPods, 2*n)
	}
	tag := time.Now().Format("150405.000")
	kinds := []densityKind{
		{name: "wasm", prefix: "dw", runtime: fw.RuntimeWasm, image: c.pushFunction(ctx, t, "prime-numbers-wasm", tag)},
		{name: "container", prefix: "dc", runtime: fw.RuntimeContainer, image: c.pushFunction(ctx, t, "prime-numbers", tag)},
	}
	p := c.startProvider(t)
	for i := range kinds {
		kinds[i].deploy(ctx, t, c, p, n)
	}
	var table strings.Builder
	fmt.Fprintf(&table, "| kind | pods | deploy → all Ready | pods/s | PSS/pod MiB (median) | unique/pod MiB (median) | RSS/pod MiB (median) | PSS all pods MiB |\n|---|---|---|---|---|---|---|---|\n")
	unique := map[string]float64{}
	var parts strings.Builder
	for _, k := range kinds {
		idle := 5 * time.Second // let the calls' garbage settle
		if k.runtime == fw.RuntimeWasm {
			idle += runspec.DefaultIdleRelease
		}
		time.Sleep(time.Until(k.called.Add(idle)))
		pods := k.memory(ctx, t, c)
		pss, uniq, rss, total := summarize(pods)
		unique[k.name] = uniq
		fmt.Fprintf(&table, "| %s | %d | %.1f s | %.2f | %.2f | %.2f | %.2f | %.1f |\n",
			k.name, n, k.ready.Seconds(), float64(n)/k.ready.Seconds(), pss, uniq, rss, total)
		fmt.Fprintf(&parts, "\n%s pod, by process (median over pods, MiB):\n\n| process | PSS | unique | RSS |\n|---|---|---|---|\n", k.name)
		for _, comm := range processNames(pods) {
			var ps, us, rs []float64
			for _, pod := range pods {
				m := pod.byProcess[comm]
				ps, us, rs = append(ps, mib(m.PSS)), append(us, mib(m.Private())), append(rs, mib(m.RSS))
			}
			fmt.Fprintf(&parts, "| %s | %.2f | %.2f | %.2f |\n", comm, median(ps), median(us), median(rs))
		}
		if k.runtime == fw.RuntimeWasm {
			parts.WriteString(sharedMappings(t, pods))
		}
	}
	out := table.String() + parts.String()
	t.Logf("BENCH density, %d idle functions of each kind on one node:\n%s", n, out)
	if path := os.Getenv("E2E_DENSITY_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Error(err)
		}
	}
	if unique["wasm"] > unique["container"] {
		t.Errorf("a Wasm pod's unique memory (median %.2f MiB) exceeds a container pod's (%.2f MiB)", unique["wasm"], unique["container"])
	}
}

// densityKind is one kind of function the density test deploys N of.
type densityKind struct {
	name, prefix, runtime, image string
	ready                        time.Duration // from the first deploy to all N pods Ready
	called                       time.Time     // when the last call to the N functions ended
}

// deploy deploys n functions of the kind (8 API calls at a time), waits
// until all their pods are Ready, records how long that took and calls
// each function once through the provider.
func (k *densityKind) deploy(ctx context.Context, t *testing.T, c *cluster, p *provider, n int) {
	t.Helper()
	// One function first, so the image is on the node and the Wasm module
	// compiled: the N deploys time pod starts, not one pull or compile.
	warm := fw.FunctionDeployment{Service: "warm-" + k.prefix, Image: k.image,
		Annotations: map[string]string{fw.AnnotationRuntime: k.runtime}}
	deployReady(ctx, t, c, p, warm, 1, "?n=10")
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			return p.backend.Deploy(gctx, fw.FunctionDeployment{
				Service: fmt.Sprintf("%s-%03d", k.prefix, i), Image: k.image,
				Labels:      map[string]string{fw.LabelScaleMin: "1", fw.LabelScaleMax: "1"},
				Annotations: map[string]string{fw.AnnotationRuntime: k.runtime},
			})
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	posted := time.Since(start)
	waitFor(t, 15*time.Minute, fmt.Sprintf("%d %s pods Ready", n, k.name), func() bool {
		return len(k.readyPods(ctx, t, c)) == n
	})
	k.ready = time.Since(start)
	t.Logf("BENCH density: %d %s deploys posted in %s, all pods Ready after %s (%.2f pods/s)",
		n, k.name, posted.Round(time.Millisecond), k.ready.Round(time.Millisecond), float64(n)/k.ready.Seconds())
	g, _ = errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range n {
		g.Go(func() error {
			url := fmt.Sprintf("%s/function/%s-%03d?n=1000", p.url, k.prefix, i)
			resp, err := http.Get(url)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET %s = %d %.200q", url, resp.StatusCode, body)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	k.called = time.Now()
}

// readyPods lists the kind's Ready pods.
func (k *densityKind) readyPods(ctx context.Context, t *testing.T, c *cluster) []corev1.Pod {
	t.Helper()
	l, err := c.admin.CoreV1().Pods(c.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []corev1.Pod
	for _, pod := range l.Items {
		if strings.HasPrefix(pod.Labels[fw.LabelFunction], k.prefix+"-") && podReady(pod) {
			out = append(out, pod)
		}
	}
	return out
}

func podReady(pod corev1.Pod) bool {
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodReady {
			return cond.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podMemory is what the processes of one pod use, in total and by process name.
type podMemory struct {
	pids      []int
	total     procmem.Use
	byProcess map[string]procmem.Use
}

// memory reads the memory of every process of every Ready pod of the kind.
// A shim daemon that serves several pods (the Wasm shim with
// FAASWASM_SHIM_GROUP=node) counts in each of them by its share.
func (k *densityKind) memory(ctx context.Context, t *testing.T, c *cluster) []podMemory {
	t.Helper()
	var out []podMemory
	sharers := map[int]int64{} // shim pid -> pods it serves
	shims := map[int]bool{}
	for _, pod := range k.readyPods(ctx, t, c) {
		pids, err := procmem.PodPIDs(string(pod.UID))
		if err != nil {
			t.Fatalf("pod %s: %v", pod.Name, err)
		}
		for _, s := range procmem.Shims(pids) {
			sharers[s]++
			shims[s] = true
			pids = append(pids, s)
		}
		out = append(out, podMemory{pids: pids, byProcess: map[string]procmem.Use{}})
	}
	for i := range out {
		pm := &out[i]
		for _, pid := range pm.pids {
			m, err := procmem.Rollup(pid)
			if err != nil {
				t.Logf("pid %d: %v", pid, err)
				continue
			}
			if shims[pid] {
				m = m.Share(sharers[pid])
			}
			comm := procmem.Name(pid)
			pm.total = pm.total.Add(m)
			pm.byProcess[comm] = pm.byProcess[comm].Add(m)
		}
	}
	if len(shims) < len(out) {
		t.Logf("BENCH density: %s: %d pods served by %d shim daemons (each counted by its share)", k.name, len(out), len(shims))
	}
	return out
}

// summarize returns the medians of PSS, unique and RSS per pod and the sum
// of PSS over all pods, in MiB.
func summarize(pods []podMemory) (pss, unique, rss, total float64) {
	var ps, us, rs []float64
	for _, p := range pods {
		ps, us, rs = append(ps, mib(p.total.PSS)), append(us, mib(p.total.Private())), append(rs, mib(p.total.RSS))
		total += mib(p.total.PSS)
	}
	return median(ps), median(us), median(rs), total
}

func processNames(pods []podMemory) []string {
	var names []string
	for _, p := range pods {
		for name := range p.byProcess {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return names
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// sharedMappings sums, over the Wasm pods' runner processes, the mappings
// of compiled module files (*.cwasm) and of the runner binary: a file
// mapped by every runner and shared in the page cache shows an RSS per
// runner near its size but a PSS of RSS/N and no private pages.
func sharedMappings(t *testing.T, pods []podMemory) string {
	t.Helper()
	type acc struct {
		files   map[string]bool
		runners int
		use     procmem.Use
	}
	groups := map[string]*acc{"compiled module (*.cwasm)": {files: map[string]bool{}}, "runner binary": {files: map[string]bool{}}}
	for _, pod := range pods {
		for _, pid := range pod.pids {
			if procmem.Name(pid) != "faaswasm-runner" {
				continue
			}
			maps, err := procmem.Mappings(pid)
			if err != nil {
				t.Logf("smaps of %d: %v", pid, err)
				continue
			}
			seen := map[string]bool{}
			for path, m := range maps {
				group := ""
				switch {
				case strings.HasSuffix(path, ".cwasm"):
					group = "compiled module (*.cwasm)"
				case strings.HasSuffix(path, "/faaswasm-runner"):
					group = "runner binary"
				default:
					continue
				}
				a := groups[group]
				a.files[path] = true
				a.use = a.use.Add(m)
				if !seen[group] {
					a.runners++
					seen[group] = true
				}
			}
		}
	}
	var b strings.Builder
	b.WriteString("\nFiles every Wasm runner maps (summed over all runners, MiB):\n\n| mapping | files | runners mapping it | RSS summed | PSS summed | unique summed |\n|---|---|---|---|---|---|\n")
	for _, name := range []string{"compiled module (*.cwasm)", "runner binary"} {
		a := groups[name]
		fmt.Fprintf(&b, "| %s | %d | %d | %.2f | %.2f | %.2f |\n", name, len(a.files), a.runners, mib(a.use.RSS), mib(a.use.PSS), mib(a.use.Private()))
	}
	return b.String()
}
