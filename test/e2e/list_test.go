//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestListLatency measures GET /system/functions on a real cluster with
// many functions (scaled to zero, so no pods run). The counts come from
// FAAS_WASM_E2E_LIST, e.g. "100,1000"; without it the test is skipped,
// as creating 1,000 Deployments and Services takes minutes.
func TestListLatency(t *testing.T) {
	spec := os.Getenv("FAAS_WASM_E2E_LIST")
	if spec == "" {
		t.Skip("FAAS_WASM_E2E_LIST is not set (e.g. 100,1000)")
	}
	ns := fmt.Sprintf("faas-wasm-list-%d", time.Now().Unix()%100000)
	c := newCluster(t, ns)
	p := c.startProvider(t)
	ctx := context.Background()
	deployed := 0
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < deployed {
			t.Fatalf("FAAS_WASM_E2E_LIST=%q: want increasing counts", spec)
		}
		start := time.Now()
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(8)
		for i := deployed; i < n; i++ {
			g.Go(func() error {
				return p.backend.Deploy(gctx, fw.FunctionDeployment{
					Service: fmt.Sprintf("fn-%04d", i), Image: c.registry + "/e2e/none:1",
					Labels:      map[string]string{fw.LabelScaleMin: "0"},
					Annotations: map[string]string{fw.AnnotationRuntime: fw.RuntimeContainer},
					EnvVars:     map[string]string{"write_debug": "true"},
				})
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		t.Logf("deployed %d functions in %s", n-deployed, time.Since(start).Round(time.Millisecond))
		deployed = n
		waitFor(t, 5*time.Minute, fmt.Sprintf("%d functions listed", n), func() bool {
			var l []fw.FunctionStatus
			json.Unmarshal([]byte(p.expect(t, 200, "GET", "/system/functions", nil)), &l)
			return len(l) == n
		})
		var d []time.Duration
		for range 30 {
			start := time.Now()
			p.expect(t, 200, "GET", "/system/functions", nil)
			d = append(d, time.Since(start))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		t.Logf("BENCH GET /system/functions with %d functions over HTTP: p50 %s p90 %s max %s", n, d[len(d)/2], d[len(d)*9/10], d[len(d)-1])
	}
}
