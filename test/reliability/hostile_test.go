package reliability

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestHostileGuestsBesideSteadyNeighbour runs every kind of misbehaving
// guest in the same provider process as a well-behaved neighbour under
// steady load: each misbehaviour must end with a clear error, and the
// neighbour must not see a single failed request.
func TestHostileGuestsBesideSteadyNeighbour(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	p := startProvider(t, t.TempDir(), "--function-timeout", "3s")

	var forbiddenHits atomic.Int64
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		forbiddenHits.Add(1)
		w.Write([]byte("you should not be here"))
	}))
	t.Cleanup(forbidden.Close)

	wasm := map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "neighbour", Image: pushWasm(t, registry, "neighbour", neighbourWasm), Annotations: wasm,
	})
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "hostile", Image: pushWasm(t, registry, "hostile", hostileWasm),
		Annotations: map[string]string{
			provider.AnnotationRuntime:      provider.RuntimeWasm,
			provider.AnnotationAllowedHosts: "allowed.invalid",
		},
		Limits: &provider.FunctionResources{Memory: "64Mi"},
	})

	stop := steadyLoad(4, p.URL+"/function/neighbour", "ok")
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			stop()
		}
	})

	for _, tc := range []struct {
		do      string
		code    int
		says    []string // all must appear in the body (case-insensitive)
		never   []string // none may appear
		maxTime time.Duration
	}{
		{do: "loop", code: http.StatusGatewayTimeout, says: []string{"timed out"}, maxTime: 10 * time.Second},
		{do: "mem", code: http.StatusInternalServerError, says: []string{"memory"}, maxTime: 10 * time.Second},
		{do: "recurse", code: http.StatusInternalServerError, says: []string{"trapped"}, maxTime: 10 * time.Second},
		{do: "output", code: http.StatusBadGateway, says: []string{"too large"}, maxTime: 10 * time.Second},
		{do: "panic", code: http.StatusInternalServerError, says: []string{"exited with code 2"}, maxTime: 5 * time.Second},
		{do: "exit", code: http.StatusInternalServerError, says: []string{"exited with code 3"}, maxTime: 5 * time.Second},
		{do: "files", code: http.StatusOK, says: []string{"denied /etc/passwd", "denied write"}, never: []string{"LEAKED", "root:"}, maxTime: 5 * time.Second},
		{do: "net", code: http.StatusForbidden, says: []string{"allowed-hosts"}, never: []string{"REACHED"}, maxTime: 5 * time.Second},
	} {
		t.Run(tc.do, func(t *testing.T) {
			path := "/function/hostile?do=" + tc.do + "&url=" + url.QueryEscape(forbidden.URL+"/secret")
			start := time.Now()
			code, body, err := p.call(http.MethodGet, path, nil)
			took := time.Since(start)
			if err != nil {
				t.Fatalf("%s: %v", tc.do, err)
			}
			t.Logf("do=%s -> %d in %v: %.200q", tc.do, code, took.Round(time.Millisecond), body)
			if code != tc.code {
				t.Errorf("status %d, want %d", code, tc.code)
			}
			low := strings.ToLower(body)
			for _, s := range tc.says {
				if !strings.Contains(low, strings.ToLower(s)) {
					t.Errorf("body does not say %q", s)
				}
			}
			for _, s := range tc.never {
				if strings.Contains(body, s) {
					t.Errorf("body contains %q", s)
				}
			}
			if took > tc.maxTime {
				t.Errorf("took %v, want at most %v", took, tc.maxTime)
			}
			// The hostile function itself recovers for its next caller.
			if _, err := hit(p.URL+"/function/hostile", "harmless"); err != nil {
				t.Errorf("hostile function unusable after do=%s: %v", tc.do, err)
			}
		})
	}
	if n := forbiddenHits.Load(); n != 0 {
		t.Errorf("the host not allowed was reached %d times", n)
	}

	res := stop()
	stopped = true
	t.Logf("neighbour under steady load (4 workers) while hostile guests ran: %v", res)
	if res.errs != 0 || res.total == 0 {
		t.Fatalf("neighbour: %d errors of %d requests: %v", res.errs, res.total, res.firstErrs)
	}
	if _, err := hit(p.URL+"/healthz", ""); err != nil {
		t.Errorf("provider health after hostile guests: %v", err)
	}
}
