package reliability

import (
	"net/http"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestLoadWasm sends 10,000 calls at concurrency 50 (times
// RELIABILITY_SCALE) to a warm reactor function and a share of that to a
// command module (a fresh instance per call) through /function/, four
// times, and checks zero errors and that the provider's RSS stops growing.
// A leak grows with every round; memory first touched under a burst of
// concurrency (a pooled instance slot not used before, Go heap) grows once,
// in steps of several MiB, so a single round may grow: every round after
// the first growing by more than 16 MiB (~1.4 KB per call) is a leak.
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
		if res := fixedLoad(2000, 50, p.URL+"/function/"+fn, "ok"); res.errs != 0 {
			t.Fatalf("warm-up of %s: %v %v", fn, res, res.firstErrs)
		}
	}
	rss := []int{p.rssKiB(t)}
	const rounds = 4
	for round := 1; round <= rounds; round++ {
		for _, tc := range []struct {
			fn string
			n  int
		}{
			{"warm", 10000 * scale()},
			{"fresh", 2000 * scale()},
		} {
			res := fixedLoad(tc.n, 50, p.URL+"/function/"+tc.fn, "ok")
			t.Logf("round %d, %s Wasm function, c=50: %v", round, tc.fn, res)
			if res.errs != 0 || res.total != tc.n {
				t.Errorf("round %d %s: %d errors of %d: %v", round, tc.fn, res.errs, res.total, res.firstErrs)
			}
		}
		rss = append(rss, p.rssKiB(t))
	}
	t.Logf("provider VmRSS (KiB) after the warm-up and after each round: %v", rss)
	const limit = 16 << 10
	grewEveryRound := true
	for r := 2; r <= rounds; r++ {
		grewEveryRound = grewEveryRound && rss[r]-rss[r-1] > limit
	}
	if grewEveryRound {
		t.Errorf("RSS grew by more than %d KiB in every round after the first: %v: leak", limit, rss)
	}
}
