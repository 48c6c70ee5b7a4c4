package containers

import (
	"errors"
	"strings"
	"testing"

	"github.com/containerd/containerd/identifiers"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestReplicaID(t *testing.T) {
	tests := []struct{ name, ns, prefix string }{
		{"echo", "openfaas-fn", "echo.openfaas-fn-"},
		{"under_score", "fn", "under-score.fn-"},
		{"dots.in.name", "fn", "dots.in.name.fn-"},
		{strings.Repeat("a", 63), strings.Repeat("b", 63), strings.Repeat("a", 56)},
		{"-lead", "x", "lead.x-"},
		{"___", "___", "fn-"},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) {
			id := replicaID(tc.name, tc.ns)
			if err := identifiers.Validate(id); err != nil {
				t.Fatalf("id %q invalid for containerd: %v", id, err)
			}
			if !strings.HasPrefix(id, tc.prefix) {
				t.Errorf("id %q does not start with %q", id, tc.prefix)
			}
			if id2 := replicaID(tc.name, tc.ns); id2 == id {
				t.Errorf("two ids are equal: %q", id)
			}
		})
	}
}

func FuzzReplicaID(f *testing.F) {
	f.Add("echo", "openfaas-fn")
	f.Add("a.-_b", "-.-")
	f.Fuzz(func(t *testing.T, name, ns string) {
		if id := replicaID(name, ns); identifiers.Validate(id) != nil {
			t.Fatalf("replicaID(%q, %q) = %q is not a valid containerd id", name, ns, id)
		}
	})
}

func TestSpecValidate(t *testing.T) {
	ok := Spec{Name: "f", Namespace: "n", Image: "i"}
	tests := []struct {
		name    string
		mutate  func(*Spec)
		wantErr bool
	}{
		{"valid", func(*Spec) {}, false},
		{"no name", func(s *Spec) { s.Name = "" }, true},
		{"no namespace", func(s *Spec) { s.Namespace = "" }, true},
		{"no image", func(s *Spec) { s.Image = "" }, true},
		{"negative memory", func(s *Spec) { s.MemoryLimit = -1 }, true},
		{"negative cpu", func(s *Spec) { s.CPUMillis = -1 }, true},
		{"reserved label", func(s *Spec) { s.Labels = map[string]string{labelIP: "x"} }, true},
		{"huge label", func(s *Spec) { s.Labels = map[string]string{"k": strings.Repeat("v", 4000)} }, true},
		{"huge annotation", func(s *Spec) { s.Annotations = map[string]string{"k": strings.Repeat("v", 4000)} }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ok
			tc.mutate(&s)
			err := s.validate()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, provider.ErrInvalid) {
				t.Errorf("err %v is not provider.ErrInvalid", err)
			}
		})
	}
}

func TestSpecHashAndStorage(t *testing.T) {
	a := Spec{Name: "f", Namespace: "n", Image: "i", Env: map[string]string{"A": "1", "B": "2"}}
	b := Spec{Name: "f", Namespace: "n", Image: "i", Env: map[string]string{"B": "2", "A": "1"}}
	if a.hash() != b.hash() {
		t.Error("equal specs hash differently")
	}
	c := b
	c.Env = map[string]string{"A": "1", "B": "3"}
	if a.hash() == c.hash() {
		t.Error("different specs hash equally")
	}
	l := a.containerLabels()
	if l[labelFunction] != "f" || l[labelNamespace] != "n" || l[labelManaged] != "true" || l[labelSpecHash] != a.hash() {
		t.Errorf("labels %v", l)
	}
	stored := &specAny{value: []byte(`{"name":"f","namespace":"n","image":"i","env":{"A":"1","B":"2"}}`)}
	got, err := decodeSpec(stored.GetTypeUrl(), stored.GetValue())
	if err != nil || got.hash() != a.hash() {
		t.Fatalf("decode: %+v, %v", got, err)
	}
	if _, err := decodeSpec("other", stored.GetValue()); err == nil {
		t.Error("foreign type URL accepted")
	}
	if _, err := decodeSpec(specTypeURL, []byte("{")); err == nil {
		t.Error("broken JSON accepted")
	}
}
