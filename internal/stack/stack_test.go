package stack

import (
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestParse(t *testing.T) {
	env := map[string]string{"REGISTRY": "reg.local:5000", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name      string
		yaml      string
		wantImage string
		wantWasm  bool
		wantErr   error
	}{
		{"default used when unset", "functions:\n  a:\n    image: ${UNSET:-127.0.0.1:5000}/a:latest\n", "127.0.0.1:5000/a:latest", false, nil},
		{"variable set", "functions:\n  a:\n    image: ${REGISTRY:-x}/a:latest\n", "reg.local:5000/a:latest", false, nil},
		{"empty uses :- default", "functions:\n  a:\n    image: ${EMPTY:-d}/a\n", "d/a", false, nil},
		{"empty kept with - default", "functions:\n  a:\n    image: x${EMPTY-d}/a\n", "x/a", false, nil},
		{"plain reference", "functions:\n  a:\n    image: ${REGISTRY}/a\n", "reg.local:5000/a", false, nil},
		{"no handler is fine", "functions:\n  a:\n    image: a\n", "a", false, nil},
		{"wasm annotation", "functions:\n  a:\n    image: a\n    annotations:\n      com.openfaas.runtime: wasm\n", "a", true, nil},
		{"unterminated", "functions:\n  a:\n    image: ${REGISTRY\n", "", false, ErrStack},
		{"no image", "functions:\n  a:\n    handler: ./a\n", "", false, ErrStack},
		{"no functions", "version: 1.0\n", "", false, ErrStack},
		{"bad yaml", "functions: [\n", "", false, ErrStack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse([]byte(tt.yaml), lookup)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			f := s.Functions["a"]
			if f.Image != tt.wantImage || f.IsWasm() != tt.wantWasm {
				t.Errorf("image %q wasm %v", f.Image, f.IsWasm())
			}
		})
	}
}

func TestDeployments(t *testing.T) {
	s, err := Parse([]byte(`version: 1.0
functions:
  b:
    image: r/b:1
    namespace: team
    environment: {GREETING: hi}
    labels: {com.openfaas.scale.zero: "true"}
    annotations: {com.openfaas.runtime: wasm}
    secrets: [db]
    limits: {memory: 64Mi}
  a:
    image: r/a:1
    requests: {cpu: 100m}
`), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.FunctionDeployment{
		{Service: "a", Image: "r/a:1", Requests: &provider.FunctionResources{CPU: "100m"}},
		{Service: "b", Image: "r/b:1", Namespace: "team", EnvVars: map[string]string{"GREETING": "hi"},
			Labels:      map[string]string{provider.LabelScaleZero: "true"},
			Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
			Secrets:     []string{"db"}, Limits: &provider.FunctionResources{Memory: "64Mi"}},
	}
	if got := s.Deployments(); !reflect.DeepEqual(got, want) {
		t.Errorf("Deployments() =\n%+v\nwant\n%+v", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("functions:\n  a:\n    image: ${R:-x}/a\n"))
	f.Add([]byte("functions: [\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, func(string) (string, bool) { return "v", true })
		if err != nil {
			if !errors.Is(err, ErrStack) {
				t.Fatalf("error %v does not wrap ErrStack", err)
			}
			return
		}
		for _, d := range s.Deployments() {
			if d.Image == "" {
				t.Fatalf("deployment %q without image", d.Service)
			}
		}
	})
}

// TestRepositoryStackValidates deploys nothing but checks that every entry
// of the repository's stack.yml is a deployment the provider accepts, as
// faas-cli deploy sends it (build-time annotations included). Regression: a
// provider that refused com.openfaas.wasm.image-form answered 400 to every
// Wasm entry of the stack.
func TestRepositoryStackValidates(t *testing.T) {
	data, err := os.ReadFile("../../stack.yml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(data, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range s.Deployments() {
		if err := provider.Validate(d); err != nil {
			t.Errorf("stack.yml entry %s: %v", d.Service, err)
		}
	}
}

func TestWithAnnotation(t *testing.T) {
	f := Function{Annotations: map[string]string{"a": "1"}}
	g := f.WithAnnotation("b", "2").WithAnnotation("a", "3")
	if len(f.Annotations) != 1 || f.Annotations["a"] != "1" {
		t.Errorf("the original changed: %v", f.Annotations)
	}
	if len(g.Annotations) != 2 || g.Annotations["a"] != "3" || g.Annotations["b"] != "2" {
		t.Errorf("copy = %v, want a=3 b=2", g.Annotations)
	}
	if h := (Function{}).WithAnnotation("k", "v"); h.Annotations["k"] != "v" {
		t.Errorf("no annotations before: %v", h.Annotations)
	}
}
