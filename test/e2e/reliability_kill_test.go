//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestKubernetesProviderKill SIGKILLs the provider binary (a) while 10
// workers create 30 secrets and 30 functions that mount them, after about
// 10 deploys were acknowledged, and (b) while 10 workers call a function.
// After each restart: every acknowledged secret exists and every
// acknowledged deploy is listed, has its Deployment and Service and
// answers 200 with its secret; every deploy that was not acknowledged is
// absent or complete — a re-POST gives 202 or 409, a PUT then succeeds and
// the function answers — so nothing is left half-written beyond repair
// through the API. Calls started after the restart must all succeed.
func TestKubernetesProviderKill(t *testing.T) {
	const (
		jobs    = 30
		workers = 10
		killAt  = 10
	)
	c := newCluster(t, testNamespace("kill"))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	image := c.pushBinary(ctx, t, "./test/guests/probe", "probe", time.Now().Format("150405.000"))
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()
	name := func(i int) string { return fmt.Sprintf("fn-%02d", i) }
	value := func(i int) string { return fmt.Sprintf("value-%02d", i) }
	deployment := func(i int) fw.FunctionDeployment {
		return fw.FunctionDeployment{Service: name(i), Image: image, Secrets: []string{name(i)},
			Requests: &fw.FunctionResources{Memory: "8Mi", CPU: "5m"}}
	}

	// (a) SIGKILL during deploys.
	d := startDeploys(api, workers, jobs, name, value, deployment, nil)
	for deadline := time.Now().Add(2 * time.Minute); d.acks.Load() < killAt && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	p.kill(t)
	d.wg.Wait()
	restarted := time.Now()
	p.start(t)
	t.Logf("provider restarted and healthy in %s", time.Since(restarted).Round(time.Millisecond))

	v := verifyAfterKill(ctx, t, c, api, jobs, name, value, deployment, d.secretAcked, d.deployAcked)
	t.Logf("BENCH kubernetes provider SIGKILL during %d deploys (%d workers): killed after %d acknowledged deploys; %s",
		jobs, workers, killAt, v)

	// (b) SIGKILL during invocations.
	const fn = "fn-01"
	l := startLoad(workers, 0, api.url+"/function/"+fn+"?secret="+fn, value(1))
	time.Sleep(time.Second)
	killed := time.Now()
	p.kill(t)
	p.start(t)
	healthy := time.Now()
	time.Sleep(2 * time.Second)
	res := l.stop()
	cut, _ := res.errs(time.Time{}, killed)
	during, _ := res.errs(killed, healthy)
	after, first := res.errs(healthy, time.Time{})
	t.Logf("BENCH kubernetes provider SIGKILL under c=%d load: %v; down %s (kill to healthy); failed calls: in flight at the kill %d, sent while down %d, after the restart %d; served after the restart %d calls",
		workers, res, healthy.Sub(killed).Round(time.Millisecond), cut, during, after, res.served(healthy, time.Now()))
	if after != 0 {
		t.Errorf("%d calls failed after the restart: %v", after, first)
	}
	if res.served(healthy, time.Now()) == 0 {
		t.Error("no call served after the restart")
	}
}

// TestKubernetesProviderKillColdWasm SIGKILLs the provider while it serves
// Wasm functions' first calls itself: 6 workers each create a secret, deploy
// a Wasm function that mounts it and call the function at once, before its
// pod is ready, so the provider serves the call in its own engine with the
// secret read from the cluster (the module is compiled beforehand, through
// a warm-up function whose pod never starts); the kill comes after 6
// acknowledged deploys, once the provider has served such calls. After the restart the same holds
// as for deploys in TestKubernetesProviderKill (verifyAfterKill): nothing
// acknowledged is lost, nothing is half-written beyond repair through the
// API, and every function answers with its secret. Needs the Wasm shim
// (FAAS_WASM_E2E_WASM=1) for the pods.
func TestKubernetesProviderKillColdWasm(t *testing.T) {
	requireWasmShim(t)
	const (
		jobs    = 18
		workers = 6
		killAt  = 6
	)
	c := newCluster(t, testNamespace("kill-cold"))
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	image := c.pushWasmGuest(ctx, t, "./test/guests/neighbour", "neighbour", time.Now().Format("150405.000"))
	p := c.startBinary(t, "--autoscale=false")
	api := p.api()
	name := func(i int) string { return fmt.Sprintf("cold-%02d", i) }
	value := func(i int) string { return fmt.Sprintf("cold-value-%02d", i) }
	deployment := func(i int) fw.FunctionDeployment {
		return fw.FunctionDeployment{Service: name(i), Image: image, Secrets: []string{name(i)},
			Annotations: map[string]string{"com.openfaas.runtime": "wasm"},
			Requests:    &fw.FunctionResources{Memory: "8Mi", CPU: "5m"}, Limits: &fw.FunctionResources{Memory: "64Mi"}}
	}
	// A warm-up function of the same image whose pod can never be
	// scheduled: its answer means the provider has compiled the module, so
	// the functions below load from its cache in milliseconds and their
	// first calls are served by the provider while their pods start.
	warmup := fw.FunctionDeployment{Service: "cold-warmup", Image: image, Limits: &fw.FunctionResources{Memory: "64Mi"},
		Constraints: []string{"faas-wasm.test/no-such-node=true"}}
	api.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", warmup)
	waitFor(t, 3*time.Minute, "the warm-up function answering from the provider", func() bool {
		code, _, body := api.call(t, http.MethodGet, "/function/cold-warmup", nil)
		return code == http.StatusOK && body == "ok "
	})
	var answered atomic.Int64
	// Each acknowledged deploy's first call, until it is answered or the
	// provider is gone.
	firstCall := func(i int) bool {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			resp, err := loadClient.Get(api.url + "/function/" + name(i) + "?secret=" + name(i))
			if err != nil {
				return false
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && string(body) == value(i) {
				answered.Add(1)
				return true
			}
		}
		return true
	}
	d := startDeploys(api, workers, jobs, name, value, deployment, firstCall)
	waitFor(t, 2*time.Minute, fmt.Sprintf("%d acknowledged deploys, 3 of them answered", killAt), func() bool {
		return d.acks.Load() >= killAt && answered.Load() >= 3
	})
	served := 0.0
	if fam := scrapeMetrics(t, api.url)["faaswasm_provider_served_calls_total"]; fam != nil {
		for _, m := range fam.GetMetric() {
			labels := map[string]string{}
			for _, lp := range m.GetLabel() {
				labels[lp.GetName()] = lp.GetValue()
			}
			if labels["outcome"] == "served" && !strings.HasPrefix(labels["function_name"], "cold-warmup.") {
				served += m.GetCounter().GetValue()
			}
		}
	}
	if served == 0 {
		t.Fatal("the provider served no call itself before the kill: the test would not cover a restart during cold calls")
	}
	p.kill(t)
	d.wg.Wait()
	restarted := time.Now()
	p.start(t)
	t.Logf("provider restarted and healthy in %s", time.Since(restarted).Round(time.Millisecond))
	v := verifyAfterKill(ctx, t, c, api, jobs, name, value, deployment, d.secretAcked, d.deployAcked)
	t.Logf("BENCH kubernetes provider SIGKILL during %d Wasm deploys and their first calls (%d workers): %d deploys acknowledged in all, %d first calls answered, %v calls served by the provider itself before the kill; %s",
		jobs, workers, d.acks.Load(), answered.Load(), served, v)
}

// deploys is startDeploys's work: which secrets and deploys the provider
// acknowledged (read them after wg.Wait).
type deploys struct {
	wg                       sync.WaitGroup
	mu                       sync.Mutex
	secretAcked, deployAcked map[int]bool
	acks                     atomic.Int64
}

// startDeploys starts workers that, for i in 1..jobs, create secret name(i)
// = value(i), then deploy deployment(i), recording what was acknowledged
// (202); then, when after is not nil, call after(i), which returns false to
// stop the worker. A worker stops at the first error (the provider killed).
func startDeploys(api *provider, workers, jobs int, name, value func(int) string,
	deployment func(int) fw.FunctionDeployment, after func(i int) bool) *deploys {
	d := &deploys{secretAcked: map[int]bool{}, deployAcked: map[int]bool{}}
	var next atomic.Int64
	for range workers {
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for i := int(next.Add(1)); i <= jobs; i = int(next.Add(1)) {
				if code, err := post(api.url+"/system/secrets", fw.Secret{Name: name(i), Value: value(i)}); err != nil || code != http.StatusAccepted {
					return
				}
				d.mu.Lock()
				d.secretAcked[i] = true
				d.mu.Unlock()
				if code, err := post(api.url+"/system/functions", deployment(i)); err != nil || code != http.StatusAccepted {
					return
				}
				d.mu.Lock()
				d.deployAcked[i] = true
				d.mu.Unlock()
				d.acks.Add(1)
				if after != nil && !after(i) {
					return
				}
			}
		}()
	}
	return d
}

// verifyAfterKill checks, after a provider restarted from a SIGKILL that
// cut jobs deploys of function name(i) with secret name(i) = value(i):
// every acknowledged secret exists and every acknowledged deploy is listed
// and has its Deployment and Service; every deploy that was not
// acknowledged is absent or complete, and a re-POST (then a PUT on 409)
// completes it; then every function answers with its secret. It returns a
// summary for the test's BENCH line.
func verifyAfterKill(ctx context.Context, t *testing.T, c *cluster, api *provider, jobs int, name, value func(int) string,
	deployment func(int) fw.FunctionDeployment, secretAcked, deployAcked map[int]bool) string {
	t.Helper()
	var secrets []fw.Secret
	if err := json.Unmarshal([]byte(api.expect(t, http.StatusOK, http.MethodGet, "/system/secrets", nil)), &secrets); err != nil {
		t.Fatal(err)
	}
	var list []fw.FunctionStatus
	if err := json.Unmarshal([]byte(api.expect(t, http.StatusOK, http.MethodGet, "/system/functions", nil)), &list); err != nil {
		t.Fatal(err)
	}
	haveSecret, listed := map[string]bool{}, map[string]bool{}
	for _, s := range secrets {
		haveSecret[s.Name] = true
	}
	for _, st := range list {
		listed[st.Name] = true
	}
	// A deploy cut between its Deployment and its Service is repaired by
	// the restarted provider on its own (k8s restores missing Services).
	restored := waitFor(t, time.Minute, "every function Deployment to have its Service", func() bool {
		ds, err := c.admin.AppsV1().Deployments(c.namespace).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false
		}
		for _, d := range ds.Items {
			if _, err := c.admin.CoreV1().Services(c.namespace).Get(ctx, d.Name, metav1.GetOptions{}); err != nil {
				return false
			}
		}
		return true
	})
	t.Logf("no half-written function %s after the restart", restored.Round(time.Millisecond))
	var absent, complete, halfWritten, repostConflict int
	for i := 1; i <= jobs; i++ {
		n := name(i)
		_, derr := c.admin.AppsV1().Deployments(c.namespace).Get(ctx, n, metav1.GetOptions{})
		_, serr := c.admin.CoreV1().Services(c.namespace).Get(ctx, n, metav1.GetOptions{})
		for _, err := range []error{derr, serr} {
			if err != nil && !apierrors.IsNotFound(err) {
				t.Fatal(err)
			}
		}
		if secretAcked[i] && !haveSecret[n] {
			t.Errorf("acknowledged secret %s lost", n)
		}
		if deployAcked[i] {
			if !listed[n] || derr != nil || serr != nil {
				t.Errorf("acknowledged deploy %s: listed %v, Deployment %v, Service %v", n, listed[n], derr, serr)
			}
			continue
		}
		switch {
		case derr != nil && serr != nil:
			absent++
		case derr == nil && serr == nil:
			complete++
		default:
			halfWritten++
			t.Errorf("%s is half-written after the restart: Deployment %v, Service %v", n, derr, serr)
		}
		// Not acknowledged: whatever was left must be completed through the API.
		if code := repost(t, api, "/system/secrets", fw.Secret{Name: n, Value: value(i)}); code == http.StatusConflict {
			api.expect(t, http.StatusAccepted, http.MethodPut, "/system/secrets", fw.Secret{Name: n, Value: value(i)})
		}
		if code := repost(t, api, "/system/functions", deployment(i)); code == http.StatusConflict {
			repostConflict++
			api.expect(t, http.StatusAccepted, http.MethodPut, "/system/functions", deployment(i))
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	answering := time.Now()
	for i := 1; i <= jobs; i++ {
		waitFor(t, 3*time.Minute, name(i)+" answering with its secret", func() bool {
			code, _, body := api.call(t, http.MethodGet, "/function/"+name(i)+"?secret="+name(i), nil)
			return code == http.StatusOK && body == value(i)
		})
	}
	return fmt.Sprintf("%d acknowledged secrets and %d acknowledged deploys, 0 lost (listed, Deployment + Service, answering with the secret); not acknowledged: %d absent, %d complete, %d half-written (Deployment without Service), re-POST 409 then PUT for %d; all %d answering %s after the restart",
		len(secretAcked), len(deployAcked), absent, complete, halfWritten, repostConflict, jobs,
		time.Since(answering).Round(time.Millisecond))
}

// post sends a JSON body and returns the status, or the error of a call
// the killed provider cut.
func post(url string, body any) (int, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return 0, err
	}
	resp, err := loadClient.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// repost POSTs body again and fails the test unless the answer is 202 or 409.
func repost(t *testing.T, api *provider, path string, body any) int {
	t.Helper()
	code, _, out := api.call(t, http.MethodPost, path, body)
	if code != http.StatusAccepted && code != http.StatusConflict {
		t.Fatalf("re-POST %s = %d %q, want 202 or 409", path, code, out)
	}
	return code
}
