//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/testenv"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesAPIServerRestart crashes the cluster's real kube-apiserver
// (SIGKILL) and starts it again with the same command line
// (hack/cluster/restart.sh) while the provider binary keeps running and 5
// workers call a function through it. Every call must succeed during the
// outage (endpoints come from the provider's EndpointSlice cache), and
// once the API is back the same provider process must deploy, scale, list
// and invoke a new function: its clients and watches reconnect without a
// restart. It needs root and the cluster's pid files (hack/cluster/up.sh);
// the API server is brought back when the test ends whatever happened.
func TestKubernetesAPIServerRestart(t *testing.T) {
	run := os.Getenv("FAAS_WASM_CLUSTER_RUN")
	if run == "" {
		run = "/run/faas-wasm-cluster"
	}
	if os.Geteuid() != 0 {
		testenv.Missing(t, "restarting the cluster's API server needs root")
	}
	if _, err := os.Stat(filepath.Join(run, "pids", "kube-apiserver.pid")); err != nil {
		testenv.Missingf(t, "no kube-apiserver pid file of hack/cluster: %v", err)
	}
	const (
		query = "?n=1000"
		down  = "5" // seconds the API server stays down after the crash
	)
	c := newCluster(t, testNamespace("apiserver"))
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	image := c.pushFunction(ctx, t, "prime-numbers", time.Now().Format("150405.000"))
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()
	want := deployReady(ctx, t, c, api, fw.FunctionDeployment{Service: "steady", Image: image}, 2, query)
	pid := p.pid()

	script := filepath.Join(c.root, "hack", "cluster", "restart.sh")
	t.Cleanup(func() {
		if out, err := exec.Command(script, "-u", "kube-apiserver").CombinedOutput(); err != nil {
			t.Errorf("bringing the API server back: %v\n%s", err, out)
		}
	})
	l := startLoad(5, 0, api.url+"/function/steady"+query, want)
	time.Sleep(time.Second)
	restart := exec.CommandContext(ctx, script, "-k", "-d", down, "kube-apiserver")
	out := make(chan error, 1)
	var log []byte
	go func() {
		var err error
		log, err = restart.CombinedOutput()
		out <- err
	}()
	// The outage as the admin client sees it: first failed and next good /readyz.
	var wentDown, cameBack time.Time
	listedDuring := 0
	for cameBack.IsZero() && ctx.Err() == nil {
		rctx, stop := context.WithTimeout(ctx, time.Second)
		err := c.admin.Discovery().RESTClient().Get().AbsPath("/readyz").Do(rctx).Error()
		stop()
		switch {
		case err != nil && wentDown.IsZero():
			wentDown = time.Now()
		case err == nil && !wentDown.IsZero():
			cameBack = time.Now()
		case err != nil:
			if code, _, _ := api.call(t, http.MethodGet, "/system/functions", nil); code == http.StatusOK {
				listedDuring++
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := <-out; err != nil {
		l.stop()
		t.Fatalf("restart.sh: %v\n%s", err, log)
	}
	if wentDown.IsZero() || cameBack.IsZero() {
		l.stop()
		t.Fatalf("the API server outage was not seen (down %v, back %v)", wentDown, cameBack)
	}
	// Keep the load on for 2 s after the API is back, then stop it.
	time.Sleep(2 * time.Second)
	res := l.stop()
	during, first := res.errs(wentDown, cameBack)
	total, firstAny := res.errs(time.Time{}, time.Time{})
	servedDuring := res.served(wentDown, cameBack)

	// The same process deploys, scales, lists and invokes a new function.
	back := time.Now()
	fn := fw.FunctionDeployment{Service: "after", Image: image, Annotations: map[string]string{fw.AnnotationRuntime: fw.RuntimeContainer}}
	waitFor(t, time.Minute, "a deploy accepted after the API came back", func() bool {
		code, _, _ := api.call(t, http.MethodPost, "/system/functions", fn)
		return code == http.StatusAccepted
	})
	deployAfter := time.Since(back)
	api.expect(t, http.StatusAccepted, http.MethodPost, "/system/scale-function/after", fw.ScaleServiceRequest{ServiceName: "after", Replicas: 2})
	waitFor(t, 2*time.Minute, "2 ready endpoints of the new function", func() bool { return len(c.podAddrs(ctx, t, "after")) == 2 })
	waitFor(t, time.Minute, "the new function listed with 2 available replicas", func() bool {
		var list []fw.FunctionStatus
		if err := json.Unmarshal([]byte(api.expect(t, http.StatusOK, http.MethodGet, "/system/functions", nil)), &list); err != nil {
			t.Fatal(err)
		}
		for _, st := range list {
			if st.Name == "after" {
				return st.Replicas == 2 && st.AvailableReplicas == 2
			}
		}
		return false
	})
	waitFor(t, 30*time.Second, "the new function answering", func() bool {
		code, _, body := api.call(t, http.MethodGet, "/function/after"+query, nil)
		return code == http.StatusOK && body == want
	})
	t.Logf("BENCH kubernetes API server SIGKILL + restart (down %s s + start) under c=5 load: outage %s seen by the admin client; %v; errors during the outage %d, in all %d; served during the outage %d calls; /system/functions answered %d times during the outage; same provider (pid %d) deployed again %s after the API was back, scaled, listed and invoked the new function %s after",
		down, cameBack.Sub(wentDown).Round(time.Millisecond), res, during, total, servedDuring, listedDuring, pid,
		deployAfter.Round(time.Millisecond), time.Since(back).Round(time.Millisecond))
	if p.pid() != pid {
		t.Errorf("the provider process changed: pid %d, was %d", p.pid(), pid)
	}
	if during != 0 || total != 0 {
		t.Errorf("%d errors during the outage (%v), %d in all (%v)", during, first, total, firstAny)
	}
	if servedDuring == 0 {
		t.Error("no call served during the outage")
	}
}
