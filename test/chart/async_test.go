package charttest

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// providerArgs renders the chart and returns the provider container's flags.
func providerArgs(t *testing.T, m *Manifest) map[string]string {
	t.Helper()
	var dep appsv1.Deployment
	typed(t, m, "Deployment", "faas-wasm", &dep)
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == "provider" {
			return argsOf(c.Args)
		}
	}
	t.Fatal("no provider container")
	return nil
}

// TestAsyncDefaults: the chart runs a NATS with JetStream and points the
// provider's asynchronous queue at its Service with the async values.
func TestAsyncDefaults(t *testing.T) {
	m := render(t, Release{}, nil)
	args := providerArgs(t, m)
	for k, want := range map[string]string{
		"async": "true", "nats-url": "nats://faas-wasm-nats.openfaas.svc:4222", "async-queue-max": "10000",
		"async-queue-max-bytes": "1073741824", "async-concurrency": "4", "async-max-attempts": "3",
		"async-callback-attempts": "5", "async-backoff": "1s", "async-max-backoff": "1m", "async-ack-wait": "30s",
	} {
		if args[k] != want {
			t.Errorf("provider --%s=%q, want %q", k, args[k], want)
		}
	}
	var dep appsv1.Deployment
	typed(t, m, "Deployment", "faas-wasm-nats", &dep)
	if c := dep.Spec.Template.Spec.Containers[0]; c.Image != "nats:2.15.3" || strings.Join(c.Args, " ") != "--config /etc/nats/nats.conf" {
		t.Errorf("nats container %s %v", c.Image, c.Args)
	}
	var svc corev1.Service
	typed(t, m, "Service", "faas-wasm-nats", &svc)
	if svc.Spec.Ports[0].Port != 4222 {
		t.Errorf("nats Service port %d", svc.Spec.Ports[0].Port)
	}
	var cm corev1.ConfigMap
	typed(t, m, "ConfigMap", "faas-wasm-nats", &cm)
	conf := cm.Data["nats.conf"]
	for _, want := range []string{"jetstream {", "store_dir: /data", "max_payload: 34603008"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nats.conf lacks %q:\n%s", want, conf)
		}
	}
}

func TestAsyncValues(t *testing.T) {
	t.Run("existing NATS", func(t *testing.T) {
		m := render(t, Release{}, set("nats.create", false, "nats.url", "nats://nats.infra.svc:4222"))
		if m.Find("Deployment", "faas-wasm-nats") != nil {
			t.Error("NATS deployed with nats.create=false")
		}
		if got := providerArgs(t, m)["nats-url"]; got != "nats://nats.infra.svc:4222" {
			t.Errorf("--nats-url=%q", got)
		}
	})
	t.Run("async off", func(t *testing.T) {
		m := render(t, Release{}, set("async.enabled", false))
		if m.Find("Deployment", "faas-wasm-nats") != nil {
			t.Error("NATS deployed with async.enabled=false")
		}
		if args := providerArgs(t, m); args["async"] != "false" || args["nats-url"] != "" {
			t.Errorf("provider args %v", args)
		}
	})
	t.Run("fixed ClusterIP, no DNS needed", func(t *testing.T) {
		m := render(t, Release{Namespace: "chart-e2e"}, set("nats.clusterIP", "10.96.200.42"))
		var svc corev1.Service
		typed(t, m, "Service", "faas-wasm-nats", &svc)
		if svc.Spec.ClusterIP != "10.96.200.42" {
			t.Errorf("NATS Service clusterIP %q", svc.Spec.ClusterIP)
		}
		if got := providerArgs(t, m)["nats-url"]; got != "nats://10.96.200.42:4222" {
			t.Errorf("--nats-url=%q", got)
		}
		m = render(t, Release{}, set("nats.clusterIP", "10.96.200.42", "nats.url", "nats://nats.infra.svc:4222"))
		if got := providerArgs(t, m)["nats-url"]; got != "nats://nats.infra.svc:4222" {
			t.Errorf("nats.url beside nats.clusterIP: --nats-url=%q", got)
		}
		var dflt corev1.Service
		typed(t, render(t, Release{}, nil), "Service", "faas-wasm-nats", &dflt)
		if dflt.Spec.ClusterIP != "" {
			t.Errorf("default NATS Service clusterIP %q, want assigned", dflt.Spec.ClusterIP)
		}
	})
	t.Run("persistent store", func(t *testing.T) {
		m := render(t, Release{}, set("nats.persistence.enabled", true, "nats.persistence.size", "5Gi"))
		var pvc corev1.PersistentVolumeClaim
		typed(t, m, "PersistentVolumeClaim", "faas-wasm-nats", &pvc)
		if q := pvc.Spec.Resources.Requests[corev1.ResourceStorage]; q.String() != "5Gi" {
			t.Errorf("PVC size %s", q.String())
		}
	})
	t.Run("no NATS at all is refused", func(t *testing.T) {
		c := loadChart(t)
		if _, err := Render(c, Release{}, set("nats.create", false)); err == nil || !strings.Contains(err.Error(), "nats.url") {
			t.Errorf("render without a NATS: %v", err)
		}
	})
}

func TestAsyncSchemaRejects(t *testing.T) {
	c := loadChart(t)
	for name, vals := range map[string]map[string]any{
		"zero concurrency":      set("async.concurrency", 0),
		"queue max not numeric": set("async.queueMax", "many"),
		"backoff without unit":  set("async.backoff", "1"),
		"url without scheme":    set("nats.url", "nats.infra:4222"),
		"unknown async key":     set("async.retries", 3),
		"bad pvc size":          set("nats.persistence.size", "lots"),
		"cluster IP a name":     set("nats.clusterIP", "nats.local"),
	} {
		merged, err := chartutil.CoalesceValues(c, vals)
		if err != nil {
			t.Fatal(err)
		}
		if chartutil.ValidateAgainstSchema(c, merged) == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestNATSVersionDefinedOnce: the chart's default NATS image is the
// nats-server release the provider embeds in local mode (the repository's
// go.mod), which hack/nats/build.sh builds for the cluster test.
func TestNATSVersionDefinedOnce(t *testing.T) {
	mod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	mv := regexp.MustCompile(`(?m)^\s*github\.com/nats-io/nats-server/v2 v(\d+\.\d+\.\d+)$`).FindSubmatch(mod)
	if mv == nil {
		t.Fatal("go.mod: no github.com/nats-io/nats-server/v2 requirement")
	}
	image := loadChart(t).Values["nats"].(map[string]any)["image"]
	if want := "nats:" + string(mv[1]); image != want {
		t.Errorf("chart image %v, want %s (go.mod nats-server v%s)", image, want, mv[1])
	}
}
