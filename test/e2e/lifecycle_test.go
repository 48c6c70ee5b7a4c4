//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/faas-wasm/faas-wasm/internal/backend/k8s"
	fw "github.com/faas-wasm/faas-wasm/provider"
)

// TestLifecycle drives two of the study's container functions and the
// probe function through the provider API on a real cluster: deploy, wait
// ready, invoke, secrets, logs, scale 2 → 0 → invoke (scale from zero),
// provider restart, API server outage, bad input, delete.
func TestLifecycle(t *testing.T) {
	ns := fmt.Sprintf("faas-wasm-e2e-%d", time.Now().Unix()%100000)
	c := newCluster(t, ns)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	tag := fmt.Sprint(time.Now().UnixNano())
	images := map[string]string{
		"prime-numbers": c.pushFunction(ctx, t, "prime-numbers", tag),
		"whatlang":      c.pushFunction(ctx, t, "whatlang", tag),
		"probe":         c.pushBinary(ctx, t, "./test/guests/probe", "probe", tag),
	}
	p := c.startProvider(t)
	top := t
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow()
		}
	}
	status := func(t *testing.T, name string) fw.FunctionStatus {
		var st fw.FunctionStatus
		if err := json.Unmarshal([]byte(p.expect(t, 200, "GET", "/system/function/"+name, nil)), &st); err != nil {
			t.Fatal(err)
		}
		return st
	}
	probe := fw.FunctionDeployment{Service: "probe", Image: images["probe"], Secrets: []string{"e2e-secret"},
		EnvVars: map[string]string{"mode": "e2e"}, Labels: map[string]string{fw.LabelScaleMax: "4"},
		Annotations: map[string]string{"team": "e2e"}, Requests: &fw.FunctionResources{Memory: "16Mi", CPU: "10m"},
		ReadOnlyRootFilesystem: true}

	step("create secret", func(t *testing.T) {
		p.expect(t, 202, "POST", "/system/secrets", fw.Secret{Name: "e2e-secret", Value: "s3cret"})
		p.expect(t, 409, "POST", "/system/secrets", fw.Secret{Name: "e2e-secret", Value: "again"})
	})
	step("deploy and first 200", func(t *testing.T) {
		fns := []fw.FunctionDeployment{
			{Service: "prime-numbers", Image: images["prime-numbers"]},
			{Service: "whatlang", Image: images["whatlang"]},
			probe,
		}
		queries := map[string]string{"prime-numbers": "?n=100", "whatlang": "?text=The+quick+brown+fox+jumps+over+the+lazy+dog", "probe": ""}
		for _, fn := range fns {
			start := time.Now()
			p.expect(t, 202, "POST", "/system/functions", fn)
			var out string
			waitFor(t, 3*time.Minute, fn.Service+" answering 200", func() bool {
				code, _, body := p.call(t, "GET", "/function/"+fn.Service+queries[fn.Service], nil)
				out = body
				return code == 200
			})
			t.Logf("BENCH deploy -> first 200 of %s: %s (answer %.60q)", fn.Service, time.Since(start).Round(time.Millisecond), out)
		}
	})
	step("status echoes the deployment", func(t *testing.T) {
		// The Deployment's status reaches the informer cache a moment after the
		// first 200 (the endpoint is ready before the Deployment controller
		// counts the replica available).
		var st fw.FunctionStatus
		waitFor(t, 30*time.Second, "probe counted available", func() bool {
			st = status(t, "probe")
			return st.AvailableReplicas == 1
		})
		if st.Image != probe.Image || st.EnvVars["mode"] != "e2e" || !slices.Equal(st.Secrets, probe.Secrets) ||
			st.Annotations["team"] != "e2e" || st.Labels[fw.LabelFunction] != "probe" || st.Requests == nil ||
			st.Requests.Memory != "16Mi" || !st.ReadOnlyRootFilesystem || st.Replicas != 1 || st.AvailableReplicas != 1 || st.CreatedAt.IsZero() {
			t.Fatalf("status %+v", st)
		}
		var list []fw.FunctionStatus
		json.Unmarshal([]byte(p.expect(t, 200, "GET", "/system/functions", nil)), &list)
		if len(list) != 3 {
			t.Fatalf("listed %d functions, want 3", len(list))
		}
	})
	step("secret mounted and readable", func(t *testing.T) {
		if got := p.expect(t, 200, "GET", "/function/probe?secret=e2e-secret", nil); got != "s3cret" {
			t.Fatalf("secret read %q", got)
		}
	})
	step("logs", func(t *testing.T) {
		p.expect(t, 200, "GET", "/function/probe/logged", nil)
		waitFor(t, 30*time.Second, "stored log line", func() bool {
			return strings.Contains(p.expect(t, 200, "GET", "/system/logs?name=probe&tail=20", nil), "probe served /logged")
		})
		lctx, stop := context.WithTimeout(ctx, time.Minute)
		defer stop()
		req, _ := http.NewRequestWithContext(lctx, "GET", p.url+"/system/logs?name=probe&follow=true&tail=1", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-ndjson") {
			t.Errorf("content type %q", ct)
		}
		go func() {
			time.Sleep(time.Second)
			p.call(t, "GET", "/function/probe/followed", nil)
		}()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var m fw.LogMessage
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %q: %v", sc.Text(), err)
			}
			if strings.Contains(m.Text, "probe served /followed") {
				if m.Name != "probe" || m.Namespace != ns || !strings.HasPrefix(m.Instance, "probe-") || m.Timestamp.IsZero() {
					t.Errorf("message %+v", m)
				}
				return
			}
		}
		t.Fatalf("follow ended without the new line: %v", sc.Err())
	})
	step("scale to 2 spreads calls", func(t *testing.T) {
		p.expect(t, 202, "POST", "/system/scale-function/probe", fw.ScaleServiceRequest{ServiceName: "probe", Replicas: 2})
		waitFor(t, 2*time.Minute, "2 available replicas", func() bool { return status(t, "probe").AvailableReplicas == 2 })
		waitFor(t, 30*time.Second, "2 ready endpoints", func() bool { return len(c.podAddrs(ctx, t, "probe")) == 2 })
		seen := map[string]int{}
		for range 10 {
			_, h, _ := p.call(t, "GET", "/function/probe", nil)
			seen[h.Get("X-Replica")]++
		}
		if len(seen) != 2 {
			t.Fatalf("calls per replica %v, want both replicas", seen)
		}
	})
	step("provider restart loses nothing", func(t *testing.T) {
		before := p.expect(t, 200, "GET", "/system/functions", nil)
		p.stop()
		p = c.startProvider(top) // lives until the whole test ends
		after := p.expect(t, 200, "GET", "/system/functions", nil)
		if normalizeList(t, before) != normalizeList(t, after) {
			t.Fatalf("functions before restart:\n%s\nafter:\n%s", before, after)
		}
		if st := status(t, "probe"); st.Replicas != 2 {
			t.Fatalf("replicas after restart %d", st.Replicas)
		}
		if got := p.expect(t, 200, "GET", "/function/probe?secret=e2e-secret", nil); got != "s3cret" {
			t.Fatalf("secret read %q", got)
		}
		if !strings.Contains(p.expect(t, 200, "GET", "/system/secrets", nil), `"e2e-secret"`) {
			t.Fatal("secret not listed after restart")
		}
	})
	step("API server briefly unavailable", func(t *testing.T) {
		c.api.setPaused(true)
		code, _, body := p.call(t, "POST", "/system/scale-function/probe", fw.ScaleServiceRequest{ServiceName: "probe", Replicas: 1})
		if code < 500 {
			t.Errorf("scale while the API server is away = %d %q, want 5xx", code, body)
		}
		p.expect(t, 200, "GET", "/system/functions", nil) // served from the cache
		p.expect(t, 200, "GET", "/function/probe", nil)   // endpoints from the cache
		c.api.setPaused(false)
		d := waitFor(t, time.Minute, "scale to work again", func() bool {
			code, _, _ := p.call(t, "POST", "/system/scale-function/probe", fw.ScaleServiceRequest{ServiceName: "probe", Replicas: 1})
			return code == 202
		})
		waitFor(t, time.Minute, "the cache to follow again", func() bool { return status(t, "probe").Replicas == 1 })
		t.Logf("recovered %s after the API server came back", d.Round(time.Millisecond))
	})
	step("scale 2 -> 0 -> invoke (scale from zero)", func(t *testing.T) {
		p.expect(t, 202, "POST", "/system/scale-function/prime-numbers", fw.ScaleServiceRequest{ServiceName: "prime-numbers", Replicas: 2})
		waitFor(t, 2*time.Minute, "2 available", func() bool { return status(t, "prime-numbers").AvailableReplicas == 2 })
		p.expect(t, 202, "POST", "/system/scale-function/prime-numbers", fw.ScaleServiceRequest{ServiceName: "prime-numbers", Replicas: 0})
		waitFor(t, 2*time.Minute, "no pod left", func() bool {
			st := status(t, "prime-numbers")
			return st.Replicas == 0 && st.AvailableReplicas == 0 && len(c.podAddrs(ctx, t, "prime-numbers")) == 0
		})
		start := time.Now()
		p.expect(t, 200, "GET", "/function/prime-numbers?n=100", nil)
		t.Logf("BENCH scale from zero -> 200 of prime-numbers: %s", time.Since(start).Round(time.Millisecond))
		if st := status(t, "prime-numbers"); st.Replicas != 1 {
			t.Errorf("replicas after scale from zero %d, want 1", st.Replicas)
		}
	})
	step("bad input", func(t *testing.T) {
		badInput(ctx, t, c, p, images["probe"])
	})
	step("namespaces", func(t *testing.T) {
		extra := ns + "-x"
		t.Cleanup(func() { c.admin.CoreV1().Namespaces().Delete(context.Background(), extra, metav1.DeleteOptions{}) })
		p.expect(t, 202, "POST", "/system/namespace/"+extra, fw.FunctionNamespace{Name: extra, Labels: map[string]string{"team": "x"}})
		p.expect(t, 409, "POST", "/system/namespace/"+extra, fw.FunctionNamespace{Name: extra})
		p.expect(t, 202, "PUT", "/system/namespace/"+extra, fw.FunctionNamespace{Name: extra, Annotations: map[string]string{"owner": "e2e"}})
		waitFor(t, 30*time.Second, "namespace listed", func() bool {
			return strings.Contains(p.expect(t, 200, "GET", "/system/namespaces", nil), `"`+extra+`"`)
		})
		var got fw.FunctionNamespace
		json.Unmarshal([]byte(p.expect(t, 200, "GET", "/system/namespace/"+extra, nil)), &got)
		if got.Annotations["owner"] != "e2e" || got.Labels["openfaas"] != "1" {
			t.Errorf("namespace %+v", got)
		}
		p.expect(t, 202, "POST", "/system/functions", fw.FunctionDeployment{Service: "probe", Image: probe.Image, Namespace: extra})
		waitFor(t, 2*time.Minute, "probe in the new namespace", func() bool {
			code, _, body := p.call(t, "GET", "/function/probe."+extra, nil)
			return code == 200 && strings.HasPrefix(body, "probe-")
		})
		p.expect(t, 404, "DELETE", "/system/namespace/kube-system", nil)
		p.expect(t, 202, "DELETE", "/system/namespace/"+extra, nil)
		waitFor(t, 30*time.Second, "namespace unlisted", func() bool {
			return !strings.Contains(p.expect(t, 200, "GET", "/system/namespaces", nil), `"`+extra+`"`)
		})
	})
	step("invocation overhead", func(t *testing.T) {
		overhead(ctx, t, c, p)
	})
	step("delete", func(t *testing.T) {
		for _, name := range []string{"prime-numbers", "whatlang", "probe"} {
			p.expect(t, 202, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: name})
			p.expect(t, 404, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: name})
		}
		waitFor(t, time.Minute, "functions gone", func() bool {
			return p.expect(t, 200, "GET", "/system/functions", nil) == "[]\n" ||
				p.expect(t, 200, "GET", "/system/functions", nil) == "[]"
		})
		p.expect(t, 404, "GET", "/system/function/probe", nil)
		p.expect(t, 202, "DELETE", "/system/secrets", fw.Secret{Name: "e2e-secret"})
		waitFor(t, 2*time.Minute, "pods gone", func() bool {
			pods, err := c.admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			return err == nil && len(pods.Items) == 0
		})
	})
}

// badInput checks refusals: unknown namespace, a clash with a foreign
// Deployment (left untouched), and an image that cannot be pulled.
func badInput(ctx context.Context, t *testing.T, c *cluster, p *provider, image string) {
	p.expect(t, 400, "GET", "/system/functions?namespace=no-such-ns", nil)
	if code, _, _ := p.call(t, "POST", "/system/functions", fw.FunctionDeployment{Service: "x", Image: image, Namespace: "no-such-ns"}); code < 400 || code >= 500 {
		t.Errorf("deploy into an unknown namespace = %d, want 4xx", code)
	}
	foreign := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "clash", Namespace: c.namespace, Labels: map[string]string{"app": "clash"}},
		Spec: appsv1.DeploymentSpec{
			Replicas: new(int32),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "clash"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "clash"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
			},
		},
	}
	created, err := c.admin.AppsV1().Deployments(c.namespace).Create(ctx, foreign, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p.expect(t, 409, "POST", "/system/functions", fw.FunctionDeployment{Service: "clash", Image: image})
	p.expect(t, 404, "PUT", "/system/functions", fw.FunctionDeployment{Service: "clash", Image: image})
	p.expect(t, 404, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: "clash"})
	after, err := c.admin.AppsV1().Deployments(c.namespace).Get(ctx, "clash", metav1.GetOptions{})
	if err != nil || after.Generation != created.Generation || !maps.Equal(after.Labels, created.Labels) || after.Annotations[k8s.AnnotationSpec] != "" {
		t.Errorf("foreign deployment changed (err %v): %+v", err, after.ObjectMeta)
	}
	c.admin.AppsV1().Deployments(c.namespace).Delete(ctx, "clash", metav1.DeleteOptions{})

	missing := c.registry + "/e2e/does-not-exist:1"
	p.expect(t, 202, "POST", "/system/functions", fw.FunctionDeployment{Service: "broken", Image: missing,
		Annotations: map[string]string{fw.AnnotationRuntime: fw.RuntimeContainer}})
	var line string
	waitFor(t, 2*time.Minute, "the pull failure in the logs", func() bool {
		out := p.expect(t, 200, "GET", "/system/logs?name=broken", nil)
		if strings.Contains(out, "ImagePull") {
			line = out
			return true
		}
		return false
	})
	t.Logf("pull failure surfaced as: %s", strings.TrimSpace(line))
	var st fw.FunctionStatus
	json.Unmarshal([]byte(p.expect(t, 200, "GET", "/system/function/broken", nil)), &st)
	if st.AvailableReplicas != 0 || st.Replicas != 1 {
		t.Errorf("broken status %+v", st)
	}
	p.expect(t, 202, "DELETE", "/system/functions", fw.DeleteFunctionRequest{FunctionName: "broken"})
}

// podAddrs returns the ready endpoint addresses (ip:port) of a function.
func (c *cluster) podAddrs(ctx context.Context, t *testing.T, fn string) []string {
	t.Helper()
	l, err := c.admin.DiscoveryV1().EndpointSlices(c.namespace).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + fn})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range l.Items {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				out = append(out, ep.Addresses[0]+":8080")
			}
		}
	}
	return out
}

// overhead compares sequential calls to a pod IP with calls through the
// provider's /function/ proxy (both keep-alive).
func overhead(ctx context.Context, t *testing.T, c *cluster, p *provider) {
	addrs := c.podAddrs(ctx, t, "probe")
	if len(addrs) == 0 {
		t.Fatal("probe has no ready endpoint")
	}
	const n = 300
	measure := func(url string) (p50, mean time.Duration) {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
		defer client.CloseIdleConnections()
		var d []time.Duration
		for i := range n + 20 {
			start := time.Now()
			resp, err := client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s = %d", url, resp.StatusCode)
			}
			if i >= 20 {
				d = append(d, time.Since(start))
			}
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		var sum time.Duration
		for _, x := range d {
			sum += x
		}
		return d[len(d)/2], sum / time.Duration(len(d))
	}
	dp50, dmean := measure("http://" + addrs[0] + "/")
	pp50, pmean := measure(p.url + "/function/probe")
	t.Logf("BENCH invocation, %d sequential keep-alive calls: direct pod IP p50 %s mean %s; via provider p50 %s mean %s; overhead p50 %s",
		n, dp50, dmean, pp50, pmean, pp50-dp50)
}

// normalizeList drops the fields that may change between two reads of the
// same functions (availability, invocation counts) and sorts by name.
func normalizeList(t *testing.T, raw string) string {
	t.Helper()
	var l []fw.FunctionStatus
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		t.Fatal(err)
	}
	for i := range l {
		l[i].AvailableReplicas, l[i].InvocationCount = 0, 0
	}
	sort.Slice(l, func(i, j int) bool { return l[i].Name < l[j].Name })
	out, _ := json.Marshal(l)
	return string(out)
}
