package charttest

import (
	"os"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestSchemaRejects: values.schema.json refuses each bad value on its own,
// and accepts the defaults.
func TestSchemaRejects(t *testing.T) {
	c := loadChart(t)
	validate := func(vals map[string]any) error {
		merged, err := chartutil.CoalesceValues(c, vals)
		if err != nil {
			t.Fatal(err)
		}
		return chartutil.ValidateAgainstSchema(c, merged)
	}
	if err := validate(nil); err != nil {
		t.Fatalf("defaults rejected: %v", err)
	}
	tests := []struct {
		name string
		vals map[string]any
	}{
		{"namespace not a DNS label", set("functionNamespace", "Bad_NS")},
		{"extra namespace not a DNS label", set("extraFunctionNamespaces", []any{"ok", "no way"})},
		{"duration without unit", set("gateway.readTimeout", "10")},
		{"duration not a string", set("provider.functionTimeout", 60)},
		{"unknown log level", set("provider.logLevel", "verbose")},
		{"unknown log format", set("provider.logFormat", "xml")},
		{"unknown key", set("provider.debug", true)},
		{"unknown top-level key", set("gatway", map[string]any{"enabled": false})},
		{"installer on every node", set("nodeInstaller.nodeSelector", map[string]any{"faas-wasm/runtime": nil})},
		{"unknown restart mode", set("nodeInstaller.restart", "reboot")},
		{"unknown shim group", set("nodeInstaller.shimGroup", "cluster")},
		{"relative bin dir", set("nodeInstaller.binDir", "usr/local/bin")},
		{"relative containerd config", set("nodeInstaller.containerdConfig", "config.toml")},
		{"empty handler", set("runtimeClass.handler", "")},
		{"handler with capitals", set("runtimeClass.handler", "Spin")},
		{"provider port clashes with gateway", set("provider.port", 8080)},
		{"zero max replicas", set("provider.maxReplicas", 0)},
		{"negative replicas", set("provider.replicas", -1)},
		{"bad pull policy", set("provider.imagePullPolicy", "Sometimes")},
		{"empty image", set("gateway.image", "")},
		{"node port out of range", set("gateway.service.nodePort", 80)},
		{"bad service type", set("gateway.service.type", "Ingress")},
		{"enabled not a bool", set("gateway.enabled", "yes")},
		{"user with colon", set("basicAuth.user", "a:b")},
		{"extra arg not a flag", set("provider.extraArgs", []any{"kubernetes"})},
		{"Prometheus host with a scheme", set("prometheus.host", "http://prom")},
		{"Prometheus port 0", set("prometheus.port", 0)},
		{"scrape interval without unit", set("prometheus.scrapeInterval", "5")},
		{"retention in Go syntax", set("prometheus.retention", "1h30m0.5s")},
		{"alertmanager without port", set("prometheus.alertmanagers", []any{"alertmanager"})},
		{"unknown Prometheus key", set("prometheus.enabled", true)},
		{"negative cold concurrency", set("provider.coldWasm.concurrency", -1)},
		{"cold memory not a quantity", set("provider.coldWasm.memory", "lots")},
		{"zero cold memory", set("provider.coldWasm.memory", "0")},
		{"module cache not a quantity", set("provider.coldWasm.moduleCache", "lots")},
		{"trusted build key not PEM", set("provider.trustedBuildKeys", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA")},
		{"trusted build key private", set("provider.trustedBuildKeys", "-----BEGIN PRIVATE KEY-----\nMC4CAQ==\n-----END PRIVATE KEY-----\n")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validate(tt.vals); err == nil {
				t.Errorf("schema accepted %v", tt.vals)
			}
			if _, err := Render(c, Release{}, tt.vals); err == nil {
				t.Errorf("Render accepted %v", tt.vals)
			}
		})
	}
}

// TestLint is `helm lint --strict` through Helm's lint package, for the
// defaults and for the provider-only form the cluster test installs.
func TestLint(t *testing.T) {
	for name, vals := range map[string]map[string]any{
		"defaults":      nil,
		"provider only": set("gateway.enabled", false, "nodeInstaller.dropIn", "/etc/faas-wasm-cluster/containerd.d/faaswasm.toml", "nodeInstaller.restart", "none"),
	} {
		t.Run(name, func(t *testing.T) {
			l := lint.All(chartDir, vals, "openfaas", false)
			for _, msg := range l.Messages {
				if msg.Severity > support.InfoSev {
					t.Errorf("lint: %s", msg)
				}
			}
		})
	}
}

// TestEveryValueDocumented: each leaf of values.yaml is named in README.md
// and described by values.schema.json.
func TestEveryValueDocumented(t *testing.T) {
	c := loadChart(t)
	readme, err := os.ReadFile(chartDir + "/README.md")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	leaves("", c.Values, &keys)
	sort.Strings(keys)
	if len(keys) < 40 {
		t.Fatalf("only %d values found: %v", len(keys), keys)
	}
	schema := string(c.Schema)
	for _, k := range keys {
		if !strings.Contains(string(readme), "`"+k+"`") {
			t.Errorf("README.md does not document `%s`", k)
		}
		last := k[strings.LastIndex(k, ".")+1:]
		if !strings.Contains(schema, `"`+last+`"`) {
			t.Errorf("values.schema.json does not describe %s", k)
		}
	}
}

// leaves collects dotted paths down to scalars, lists and the open maps
// (resources, nodeSelector) whose keys are the user's.
func leaves(prefix string, m map[string]any, out *[]string) {
	for k, v := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		sub, ok := v.(map[string]any)
		if ok && k != "resources" && k != "nodeSelector" {
			leaves(p, sub, out)
			continue
		}
		*out = append(*out, p)
	}
}
