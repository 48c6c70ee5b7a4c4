package charttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/yaml"
)

const chartDir = "../../chart"

func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	c, err := Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func render(t *testing.T, rel Release, vals map[string]any) *Manifest {
	t.Helper()
	m, err := Render(loadChart(t), rel, vals)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// typed converts the object of that kind and name into out, failing the
// test when it is missing.
func typed(t *testing.T, m *Manifest, kind, name string, out any) {
	t.Helper()
	u := m.Find(kind, name)
	if u == nil {
		t.Fatalf("no %s %q in %v", kind, name, kinds(m))
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out); err != nil {
		t.Fatalf("%s %s: %v", kind, name, err)
	}
}

func kinds(m *Manifest) []string {
	var out []string
	for _, o := range m.Objects {
		out = append(out, o.GetKind()+"/"+o.GetName())
	}
	return out
}

// set builds a values map from dotted paths.
func set(kv ...any) map[string]any {
	vals := map[string]any{}
	for i := 0; i < len(kv); i += 2 {
		parts := strings.Split(kv[i].(string), ".")
		cur := vals
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = kv[i+1]
	}
	return vals
}

// readYAML decodes the first document of a YAML file into out.
func readYAML(t *testing.T, path string, out any) {
	t.Helper()
	f, err := os.Open(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := yaml.NewYAMLOrJSONDecoder(f, 4096).Decode(out); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func argsOf(args []string) map[string]string {
	out := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		out[k] = v
	}
	return out
}
