package reliability

import (
	"net/http"
	"testing"

	"github.com/faas-wasm/faas-wasm/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestLoadWasm sends 10,000 calls at concurrency 50 (times
// RELIABILITY_SCALE) to a warm reactor function and a share of that to a
// command module (a fresh instance per call) through /function/, twice,
// and checks zero errors and that the provider's RSS does not keep growing
// from the first round to the second.
func TestLoadWasm(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	p := startProvider(t, t.TempDir())
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "warm", Image: pushWasm(t, registry, "reactor", reactorWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm, provider.AnnotationWasmMode: "warm"},
	})
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "fresh", Image: pushWasm(t, registry, "neighbour", neighbourWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
	})
	for _, fn := range []string{"warm", "fresh"} {
		if res := fixedLoad(200, 10, p.url+"/function/"+fn, "ok"); res.errs != 0 {
			t.Fatalf("warm-up of %s: %v %v", fn, res, res.firstErrs)
		}
	}
	rss := []int{p.rssKiB(t)}
	for round := 1; round <= 2; round++ {
		for _, tc := range []struct {
			fn string
			n  int
		}{
			{"warm", 10000 * scale()},
			{"fresh", 2000 * scale()},
		} {
			res := fixedLoad(tc.n, 50, p.url+"/function/"+tc.fn, "ok")
			t.Logf("round %d, %s Wasm function, c=50: %v", round, tc.fn, res)
			if res.errs != 0 || res.total != tc.n {
				t.Errorf("round %d %s: %d errors of %d: %v", round, tc.fn, res.errs, res.total, res.firstErrs)
			}
		}
		rss = append(rss, p.rssKiB(t))
	}
	t.Logf("provider VmRSS: before %d KiB, after round 1 %d KiB, after round 2 %d KiB", rss[0], rss[1], rss[2])
	// A leak grows with the number of calls; the second round must not add
	// more than a quarter of the first round's RSS (or 32 MiB).
	if limit := max(rss[1]/4, 32<<10); rss[2]-rss[1] > limit {
		t.Errorf("RSS grew by %d KiB in round 2 (limit %d KiB): leak", rss[2]-rss[1], limit)
	}
}
