package charttest

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// promConfig is the part of prometheus.yml the tests read.
type promConfig struct {
	Global struct {
		ScrapeInterval     string `json:"scrape_interval"`
		EvaluationInterval string `json:"evaluation_interval"`
	} `json:"global"`
	RuleFiles []string `json:"rule_files"`
	Alerting  *struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"alertmanagers"`
	} `json:"alerting"`
	ScrapeConfigs []struct {
		JobName             string `json:"job_name"`
		KubernetesSDConfigs []struct {
			Role       string `json:"role"`
			Namespaces struct {
				Names []string `json:"names"`
			} `json:"namespaces"`
			Selectors []struct {
				Role  string `json:"role"`
				Label string `json:"label"`
			} `json:"selectors"`
		} `json:"kubernetes_sd_configs"`
		RelabelConfigs       []relabel `json:"relabel_configs"`
		MetricRelabelConfigs []relabel `json:"metric_relabel_configs"`
	} `json:"scrape_configs"`
}

type relabel struct {
	SourceLabels []string `json:"source_labels"`
	Regex        string   `json:"regex"`
	Action       string   `json:"action"`
	TargetLabel  string   `json:"target_label"`
}

type promRules struct {
	Groups []struct {
		Name  string `json:"name"`
		Rules []struct {
			Alert       string            `json:"alert"`
			Expr        string            `json:"expr"`
			For         string            `json:"for"`
			Labels      map[string]string `json:"labels"`
			Annotations map[string]string `json:"annotations"`
		} `json:"rules"`
	} `json:"groups"`
}

// promFiles decodes the chart's Prometheus ConfigMap.
func promFiles(t *testing.T, m *Manifest, name string) (promConfig, promRules) {
	t.Helper()
	var cm corev1.ConfigMap
	typed(t, m, "ConfigMap", name, &cm)
	var cfg promConfig
	if err := yaml.UnmarshalStrict([]byte(cm.Data["prometheus.yml"]), &cfg); err != nil {
		t.Fatalf("prometheus.yml: %v\n%s", err, cm.Data["prometheus.yml"])
	}
	var rules promRules
	if err := yaml.UnmarshalStrict([]byte(cm.Data["alert.rules.yml"]), &rules); err != nil {
		t.Fatalf("alert.rules.yml: %v\n%s", err, cm.Data["alert.rules.yml"])
	}
	return cfg, rules
}

// matches is Prometheus's relabel regex match: anchored at both ends.
func matches(re, s string) bool { return regexp.MustCompile("^(?:" + re + ")$").MatchString(s) }

// portNames are the container port names of the gateway+provider pod.
func portNames(t *testing.T, m *Manifest, dep string) map[string]int32 {
	t.Helper()
	var d appsv1.Deployment
	typed(t, m, "Deployment", dep, &d)
	out := map[string]int32{}
	for _, c := range d.Spec.Template.Spec.Containers {
		for _, p := range c.Ports {
			out[p.Name] = p.ContainerPort
		}
	}
	return out
}

// TestPrometheusDefaults: the chart's Prometheus scrapes the provider and
// the gateway ports the Deployment declares, keeps the invocation series
// once, carries OpenFaaS's alert rule, and the gateway's env names its
// Service and port.
func TestPrometheusDefaults(t *testing.T) {
	m := render(t, Release{}, nil)
	const name = "faas-wasm-prometheus"

	var dep appsv1.Deployment
	typed(t, m, "Deployment", "faas-wasm", &dep)
	gw := envOf(dep.Spec.Template.Spec.Containers[0].Env)
	var svc corev1.Service
	typed(t, m, "Service", gw["faas_prometheus_host"], &svc)
	if gw["faas_prometheus_host"] != name || gw["faas_prometheus_port"] != "9090" ||
		svc.Spec.Ports[0].Port != 9090 || svc.Spec.Ports[0].TargetPort.StrVal != "http" {
		t.Errorf("gateway env %s:%s, Service %+v", gw["faas_prometheus_host"], gw["faas_prometheus_port"], svc.Spec.Ports)
	}

	var pd appsv1.Deployment
	typed(t, m, "Deployment", name, &pd)
	pod := pd.Spec.Template.Spec
	if !reflect.DeepEqual(svc.Spec.Selector, pd.Spec.Template.Labels) || pd.Spec.Template.Labels["app.kubernetes.io/component"] != "prometheus" {
		t.Errorf("Service selector %v, pod labels %v", svc.Spec.Selector, pd.Spec.Template.Labels)
	}
	c := pod.Containers[0]
	wantArgs := map[string]string{"config.file": "/etc/prometheus/prometheus.yml", "storage.tsdb.path": "/prometheus",
		"storage.tsdb.retention.time": "24h", "web.listen-address": ":9090"}
	if c.Image != "prom/prometheus:v3.16.0" || len(c.Command) != 0 || !reflect.DeepEqual(argsOf(c.Args), wantArgs) {
		t.Errorf("prometheus image %q command %v args %v", c.Image, c.Command, c.Args)
	}
	if pod.ServiceAccountName != name || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot ||
		c.SecurityContext.ReadOnlyRootFilesystem == nil || !*c.SecurityContext.ReadOnlyRootFilesystem {
		t.Error("Prometheus must run as non-root, read-only, with its own ServiceAccount")
	}
	if !strings.Contains(m.Notes, "port-forward svc/faas-wasm-prometheus 9090:9090") {
		t.Errorf("NOTES:\n%s", m.Notes)
	}
	if pd.Spec.Template.Annotations["checksum/config"] == "" {
		t.Error("no config checksum: a changed configuration would not roll the pod")
	}

	var role rbacv1.Role
	typed(t, m, "Role", name, &role)
	wantRules := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list", "watch"}}}
	if !reflect.DeepEqual(role.Rules, wantRules) || role.Namespace != "openfaas" {
		t.Errorf("Role %s rules %+v", role.Namespace, role.Rules)
	}
	var rb rbacv1.RoleBinding
	typed(t, m, "RoleBinding", name, &rb)
	if rb.RoleRef.Name != name || !reflect.DeepEqual(rb.Subjects, []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: "openfaas"}}) {
		t.Errorf("RoleBinding %+v %+v", rb.RoleRef, rb.Subjects)
	}

	cfg, rules := promFiles(t, m, name)
	if cfg.Global.ScrapeInterval != "5s" || cfg.Global.EvaluationInterval != "5s" || cfg.Alerting != nil ||
		!reflect.DeepEqual(cfg.RuleFiles, []string{"/etc/prometheus/alert.rules.yml"}) {
		t.Errorf("global %+v rule files %v alerting %v", cfg.Global, cfg.RuleFiles, cfg.Alerting)
	}
	ports := portNames(t, m, "faas-wasm")
	if ports["provider"] != 8081 || ports["gateway-metrics"] != 8082 {
		t.Fatalf("pod ports %v", ports)
	}
	jobs := map[string]string{} // job → the port name it keeps
	for _, sc := range cfg.ScrapeConfigs {
		if len(sc.KubernetesSDConfigs) != 1 {
			t.Fatalf("job %s: %d service discoveries", sc.JobName, len(sc.KubernetesSDConfigs))
		}
		sd := sc.KubernetesSDConfigs[0]
		if sd.Role != "pod" || !reflect.DeepEqual(sd.Namespaces.Names, []string{"openfaas"}) || len(sd.Selectors) != 1 ||
			sd.Selectors[0].Label != "app.kubernetes.io/instance=faas-wasm,app.kubernetes.io/component=provider" {
			t.Errorf("job %s discovery %+v", sc.JobName, sd)
		}
		for _, r := range sc.RelabelConfigs {
			if r.Action == "keep" && reflect.DeepEqual(r.SourceLabels, []string{"__meta_kubernetes_pod_container_port_name"}) {
				for p := range ports {
					if matches(r.Regex, p) {
						jobs[sc.JobName] = p
					}
				}
			}
		}
		if sc.JobName == "faas-wasm-provider" && len(sc.MetricRelabelConfigs) != 0 {
			t.Errorf("the provider's series are altered: %+v", sc.MetricRelabelConfigs)
		}
		if sc.JobName == "openfaas-gateway" {
			gatewayDrops(t, sc.MetricRelabelConfigs)
		}
	}
	if want := map[string]string{"faas-wasm-provider": "provider", "openfaas-gateway": "gateway-metrics"}; !reflect.DeepEqual(jobs, want) {
		t.Errorf("jobs → scraped port %v, want %v", jobs, want)
	}

	if len(rules.Groups) != 1 || len(rules.Groups[0].Rules) != 1 {
		t.Fatalf("rules %+v", rules)
	}
	r := rules.Groups[0].Rules[0]
	// The alert of OpenFaaS's chart (faas-netes chart/openfaas prometheus-cfg.yaml): more than 5
	// successful calls a second over 10s, for 5s, labelled service=gateway severity=major; the
	// gateway's /system/alert scales the function in its function_name label.
	if r.Alert != "APIHighInvocationRate" || r.For != "5s" ||
		r.Expr != `sum by (function_name) (rate(gateway_function_invocation_total{code="200"}[10s])) > 5` ||
		!reflect.DeepEqual(r.Labels, map[string]string{"service": "gateway", "severity": "major"}) ||
		!strings.Contains(r.Annotations["summary"], "{{ $labels.function_name }}") {
		t.Errorf("alert rule %+v", r)
	}
}

// gatewayDrops: the gateway job drops exactly the series the provider also
// exports (each call would count twice in the gateway's sum) and keeps the
// gateway's own.
func gatewayDrops(t *testing.T, rs []relabel) {
	t.Helper()
	if len(rs) != 1 || rs[0].Action != "drop" || !reflect.DeepEqual(rs[0].SourceLabels, []string{"__name__"}) {
		t.Fatalf("gateway metric relabelling %+v", rs)
	}
	for _, n := range []string{"gateway_function_invocation_total", "gateway_function_invocation_started",
		"gateway_function_invocation_inflight", "gateway_functions_seconds_bucket", "gateway_functions_seconds_sum",
		"gateway_functions_seconds_count", "gateway_service_count"} {
		if !matches(rs[0].Regex, n) {
			t.Errorf("the gateway's %s is kept: counted twice with the provider's", n)
		}
	}
	for _, n := range []string{"http_requests_total", "http_request_duration_seconds_bucket", "go_goroutines", "process_cpu_seconds_total"} {
		if matches(rs[0].Regex, n) {
			t.Errorf("the gateway's own %s is dropped", n)
		}
	}
}

func TestPrometheusValues(t *testing.T) {
	promObjects := func(m *Manifest) []string {
		var out []string
		for _, k := range kinds(m) {
			if strings.Contains(k, "prometheus") {
				out = append(out, k)
			}
		}
		return out
	}
	tests := []struct {
		name  string
		rel   Release
		vals  map[string]any
		check func(t *testing.T, m *Manifest)
	}{
		{"existing Prometheus", Release{}, set("prometheus.create", false, "prometheus.host", "prometheus.monitoring.svc", "prometheus.port", 9091), func(t *testing.T, m *Manifest) {
			if p := promObjects(m); len(p) != 0 {
				t.Errorf("objects %v rendered with prometheus.create=false", p)
			}
			var dep appsv1.Deployment
			typed(t, m, "Deployment", "faas-wasm", &dep)
			gw := envOf(dep.Spec.Template.Spec.Containers[0].Env)
			if gw["faas_prometheus_host"] != "prometheus.monitoring.svc" || gw["faas_prometheus_port"] != "9091" {
				t.Errorf("gateway env %v", gw)
			}
		}},
		{"no gateway, no Prometheus", Release{}, set("gateway.enabled", false, "prometheus.create", false), func(t *testing.T, m *Manifest) {
			if p := promObjects(m); len(p) != 0 {
				t.Errorf("objects %v", p)
			}
		}},
		{"no gateway: the provider only", Release{}, set("gateway.enabled", false), func(t *testing.T, m *Manifest) {
			cfg, _ := promFiles(t, m, "faas-wasm-prometheus")
			if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0].JobName != "faas-wasm-provider" {
				t.Errorf("scrape jobs %+v", cfg.ScrapeConfigs)
			}
			if _, ok := portNames(t, m, "faas-wasm")["gateway-metrics"]; ok {
				t.Error("gateway metrics port without a gateway")
			}
		}},
		{"release name, port, image, alertmanagers", Release{Name: "edge", Namespace: "faas"}, set("prometheus.port", 9095,
			"prometheus.image", "127.0.0.1:5000/prometheus:1", "prometheus.scrapeInterval", "2s", "prometheus.retention", "2d",
			"prometheus.alertmanagers", []any{"alertmanager.faas:9093"}), func(t *testing.T, m *Manifest) {
			var dep appsv1.Deployment
			typed(t, m, "Deployment", "edge-faas-wasm", &dep)
			gw := envOf(dep.Spec.Template.Spec.Containers[0].Env)
			if gw["faas_prometheus_host"] != "edge-faas-wasm-prometheus" || gw["faas_prometheus_port"] != "9095" {
				t.Errorf("gateway env %v", gw)
			}
			var svc corev1.Service
			typed(t, m, "Service", "edge-faas-wasm-prometheus", &svc)
			var pd appsv1.Deployment
			typed(t, m, "Deployment", "edge-faas-wasm-prometheus", &pd)
			c := pd.Spec.Template.Spec.Containers[0]
			if svc.Spec.Ports[0].Port != 9095 || c.Image != "127.0.0.1:5000/prometheus:1" || argsOf(c.Args)["storage.tsdb.retention.time"] != "2d" {
				t.Errorf("Service ports %+v image %q args %v", svc.Spec.Ports, c.Image, c.Args)
			}
			cfg, _ := promFiles(t, m, "edge-faas-wasm-prometheus")
			if cfg.Global.ScrapeInterval != "2s" || cfg.Alerting == nil ||
				!reflect.DeepEqual(cfg.Alerting.Alertmanagers[0].StaticConfigs[0].Targets, []string{"alertmanager.faas:9093"}) {
				t.Errorf("global %+v alerting %+v", cfg.Global, cfg.Alerting)
			}
			sd := cfg.ScrapeConfigs[0].KubernetesSDConfigs[0]
			if sd.Namespaces.Names[0] != "faas" || !strings.Contains(sd.Selectors[0].Label, "app.kubernetes.io/instance=edge,") {
				t.Errorf("discovery %+v", sd)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, render(t, tt.rel, tt.vals)) })
	}
}

// TestGatewayWithoutPrometheusRefused: a gateway with no Prometheus waits
// on a name that does not resolve and fails its function list (issue 20).
func TestGatewayWithoutPrometheusRefused(t *testing.T) {
	_, err := Render(loadChart(t), Release{}, set("prometheus.create", false))
	if err == nil || !strings.Contains(err.Error(), "gateway.enabled needs a Prometheus") {
		t.Fatalf("Render with no Prometheus for the gateway: %v", err)
	}
}

// TestPrometheusVersionDefinedOnce: the chart's default image is the
// Prometheus release the tests build (hack/lib.sh PROMETHEUS_VERSION,
// module version v0.3XX.Y = Prometheus v3.XX.Y).
func TestPrometheusVersionDefinedOnce(t *testing.T) {
	lib, err := os.ReadFile("../../hack/lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	mv := regexp.MustCompile(`(?m)^PROMETHEUS_VERSION=v0\.3(\d\d)\.(\d+)$`).FindStringSubmatch(string(lib))
	if mv == nil {
		t.Fatal("hack/lib.sh: no PROMETHEUS_VERSION=v0.3XX.Y")
	}
	image := loadChart(t).Values["prometheus"].(map[string]any)["image"]
	minor, _ := strconv.Atoi(mv[1])
	if want := fmt.Sprintf("prom/prometheus:v3.%d.%s", minor, mv[2]); image != want {
		t.Errorf("chart image %v, want %s (hack/lib.sh %s)", image, want, mv[0])
	}
}
