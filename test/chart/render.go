// Package charttest renders faas-wasm's Helm chart (../../chart) with Helm's Go
// library, the way `helm template` does (values coalesced with the chart's
// defaults, validated against values.schema.json), and splits the result
// into Kubernetes objects for tests and for applying to a cluster.
//
// It lives in its own Go module so that the main module does not depend on
// Helm. It does not talk to a cluster: templates calling lookup see nothing.
package charttest

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// Release names the release a chart is rendered for.
type Release struct {
	// Name is the release name (default "faas-wasm").
	Name string
	// Namespace is the release namespace (default "openfaas").
	Namespace string
}

// Manifest is one rendered chart.
type Manifest struct {
	// Objects are the rendered objects in the order Helm installs them
	// (namespaces and RBAC before workloads), then by template file and
	// position in the file.
	Objects []*unstructured.Unstructured
	// Notes is the rendered NOTES.txt.
	Notes string
}

// Load reads the chart in dir.
//
// # Errors
// The loader's errors for a missing or malformed chart.
func Load(dir string) (*chart.Chart, error) {
	c, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	return c, nil
}

// Render renders c with vals over its defaults for rel.
//
// # Errors
// Values the schema rejects, template errors, and rendered documents that
// are not Kubernetes objects.
func Render(c *chart.Chart, rel Release, vals map[string]any) (*Manifest, error) {
	if rel.Name == "" {
		rel.Name = "faas-wasm"
	}
	if rel.Namespace == "" {
		rel.Namespace = "openfaas"
	}
	if vals == nil {
		vals = map[string]any{}
	}
	rv, err := chartutil.ToRenderValues(c, vals, chartutil.ReleaseOptions{
		Name: rel.Name, Namespace: rel.Namespace, Revision: 1, IsInstall: true,
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", c.Name(), err)
	}
	files, err := engine.Render(c, rv)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", c.Name(), err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	m := &Manifest{}
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, "NOTES.txt"):
			m.Notes = files[n]
			continue
		case strings.HasPrefix(path.Base(n), "_"):
			continue
		}
		objs, err := decode(files[n])
		if err != nil {
			return nil, fmt.Errorf("render %s: %s: %w", c.Name(), n, err)
		}
		m.Objects = append(m.Objects, objs...)
	}
	sort.SliceStable(m.Objects, func(i, j int) bool {
		return kindRank(m.Objects[i].GetKind()) < kindRank(m.Objects[j].GetKind())
	})
	return m, nil
}

// installOrder is the order Helm applies the kinds this chart renders.
var installOrder = []string{"Namespace", "ServiceAccount", "Secret", "ConfigMap", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "RuntimeClass", "Service", "DaemonSet", "Deployment"}

func kindRank(kind string) int {
	for i, k := range installOrder {
		if k == kind {
			return i
		}
	}
	return len(installOrder)
}

func decode(text string) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	d := yaml.NewYAMLOrJSONDecoder(strings.NewReader(text), 4096)
	for {
		var obj map[string]any
		if err := d.Decode(&obj); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, err
		}
		if len(obj) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetKind() == "" || u.GetAPIVersion() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("document without apiVersion, kind or name: %v", obj)
		}
		out = append(out, u)
	}
}

// Find returns the object of that kind and name, or nil.
func (m *Manifest) Find(kind, name string) *unstructured.Unstructured {
	for _, o := range m.Objects {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// YAML writes every object as a YAML stream, for kubectl apply -f -.
//
// # Errors
// Marshalling failures.
func (m *Manifest) YAML() ([]byte, error) {
	var b bytes.Buffer
	for _, o := range m.Objects {
		j, err := o.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("marshal %s/%s: %w", o.GetKind(), o.GetName(), err)
		}
		b.WriteString("---\n")
		b.Write(j)
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}
