package reliability

import (
	"net/http"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestContainerdRestartUnderProvider restarts a private containerd under a
// running provider while a container function serves a steady load: the
// calls keep being answered, and afterwards the same provider process
// deploys, scales and deletes container functions through the new daemon.
func TestContainerdRestartUnderProvider(t *testing.T) {
	// A containerd of the test's own, so restarting it disturbs no one else.
	d := containerdtest.Run(t, "fwrel")
	marker := "reliability-" + randHex(t)
	ref := pushBox(t, ocitest.NewRegistry(t), marker)
	p := startProvider(t, t.TempDir(), "--containerd-socket", d.Socket())
	container := map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer}
	deployed := []string{}
	t.Cleanup(func() {
		for _, name := range deployed {
			p.call(http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: name})
		}
	})
	deploy := func(name string) {
		t.Helper()
		p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: name, Image: ref, Annotations: container})
		deployed = append(deployed, name)
		waitReady(t, p.URL+"/function/"+name)
	}
	deploy("before")

	stop := steadyLoad(5, p.URL+"/function/before", "ok")
	time.Sleep(500 * time.Millisecond)
	d.Stop()
	// A deploy while containerd is away is the daemon's fault, not the
	// request's: 503 (retry), never 400 (regression: it was 400).
	code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "while-down", Image: ref, Annotations: container})
	if err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("deploy while containerd is stopped = %d %q %v, want 503", code, body, err)
	}
	time.Sleep(time.Second)
	if err := d.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	during := stop()
	t.Logf("steady load on a container function across a containerd restart: %v", during)
	if during.errs != 0 {
		t.Errorf("calls failed across the containerd restart: %v", during.firstErrs)
	}

	// The client reconnects on its own; give it the time of its backoff.
	restarted := time.Now()
	for {
		code, body, err := p.call(http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "after", Image: ref, Annotations: container})
		if err == nil && code == http.StatusAccepted {
			break
		}
		if code == http.StatusBadRequest {
			t.Fatalf("deploy while containerd reconnects answered 400 %q: the request is fine, want 503 until it is back", body)
		}
		if time.Since(restarted) > 60*time.Second {
			t.Fatalf("no deploy through the restarted containerd within 60 s: %d %q %v", code, body, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
	deployed = append(deployed, "after")
	t.Logf("first deploy through the restarted containerd accepted %v after it listened", time.Since(restarted).Round(time.Millisecond))
	waitReady(t, p.URL+"/function/after")
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/scale-function/before", provider.ScaleServiceRequest{ServiceName: "before", Replicas: 2})
	waitPIDs(t, marker, 3)
	if res := fixedLoad(500, 10, p.URL+"/function/after", "ok"); res.errs != 0 {
		t.Errorf("function deployed after the restart: %v %v", res, res.firstErrs)
	}
	p.expect(t, http.StatusAccepted, http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: "after"})
	deployed = deployed[:1]
	t.Logf("after the containerd restart the same provider deployed, scaled and deleted container functions")
}
