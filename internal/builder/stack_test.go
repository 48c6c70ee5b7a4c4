package builder

import (
	"errors"
	"testing"
)

// TestParseStack checks what the builder adds to stack.Parse (whose own
// tests cover substitution and YAML): every entry needs a handler.
func TestParseStack(t *testing.T) {
	lookup := func(k string) (string, bool) {
		return map[string]string{"REGISTRY": "reg.local:5000"}[k], k == "REGISTRY"
	}
	s, err := ParseStack([]byte("functions:\n  a:\n    handler: ./a\n    image: ${REGISTRY}/a\n    annotations:\n      com.openfaas.runtime: wasm\n"), lookup)
	if err != nil {
		t.Fatal(err)
	}
	if f := s.Functions["a"]; f.Image != "reg.local:5000/a" || !f.IsWasm() {
		t.Errorf("image %q wasm %v", f.Image, f.IsWasm())
	}
	for name, yaml := range map[string]string{
		"no handler": "functions:\n  a:\n    image: a\n",
		"no image":   "functions:\n  a:\n    handler: ./a\n",
		"bad yaml":   "functions: [\n",
	} {
		if _, err := ParseStack([]byte(yaml), lookup); !errors.Is(err, ErrStack) {
			t.Errorf("%s: err = %v, want ErrStack", name, err)
		}
	}
}

func TestRepositoryStack(t *testing.T) {
	s, err := LoadStack("../../stack.yml")
	if err != nil {
		t.Fatal(err)
	}
	if s.Provider.Name != "openfaas" {
		t.Errorf("provider %q", s.Provider.Name)
	}
	study := []string{"aes", "float-operation", "linear-equations", "matmul", "fuzzysearch", "n-body", "prime-numbers", "whatlang", "user-manager"}
	if len(s.Functions) != 4*len(study)+1 {
		t.Errorf("%d functions, want %d", len(s.Functions), 4*len(study)+1)
	}
	variants := []struct {
		suffix  string
		lang    Lang
		handler string
		wasm    bool
	}{
		{"", LangGo, "./functions/go/", false},
		{"-wasm", LangGo, "./functions/go/", true},
		{"-rs", LangRust, "./functions/rust/", false},
		{"-rs-wasm", LangRust, "./functions/rust/", true},
	}
	for _, n := range study {
		for _, v := range variants {
			f, ok := s.Functions[n+v.suffix]
			if !ok {
				t.Errorf("%s%s: missing", n, v.suffix)
				continue
			}
			if Lang(f.Lang) != v.lang || f.Handler != v.handler+n || f.IsWasm() != v.wasm {
				t.Errorf("%s%s: %+v", n, v.suffix, f)
			}
		}
	}
	for _, n := range []string{"fuzzysearch-wasm", "user-manager-wasm", "fuzzysearch-rs-wasm", "user-manager-rs-wasm"} {
		if s.Functions[n].Annotations["com.openfaas.wasm.allowed-hosts"] == "" {
			t.Errorf("%s has no allowed-hosts annotation", n)
		}
	}
	if c := s.Functions["plain-c-wasm"]; Lang(c.Lang) != LangC || !c.IsWasm() {
		t.Errorf("plain-c-wasm: %+v", c)
	}
	for _, n := range s.Names() {
		if _, err := parseLang(s.Functions[n].Lang); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestRehome(t *testing.T) {
	tests := []struct{ ref, reg, want string }{
		{"127.0.0.1:5000/aes:latest", "127.0.0.1:6000", "127.0.0.1:6000/aes:latest"},
		{"ghcr.io/org/fn/aes:v1", "127.0.0.1:6000/", "127.0.0.1:6000/org/fn/aes:v1"},
		{"aes", "r:1", "r:1/library/aes:latest"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := rehome(tt.ref, tt.reg)
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestWasmShape(t *testing.T) {
	for _, c := range []struct {
		lang, shape string
		want        Shape
		err         error
	}{
		{"go-faaswasm", "", ShapeSnapshot, nil},
		{"", "", ShapeSnapshot, nil},
		{"go-faaswasm", "command", ShapeCommand, nil},
		{"go-faaswasm", "reactor", ShapeReactor, nil},
		{"rust-faaswasm", "", ShapeCommand, nil},
		{"rust-faaswasm", " Reactor ", ShapeReactor, nil},
		{"c-faaswasm", "", ShapeCommand, nil},
		{"c-faaswasm", "snapshot", "", ErrStack},
		{"cobol", "", "", ErrStack},
	} {
		f := Function{Lang: c.lang, Annotations: map[string]string{RuntimeAnnotation: "wasm"}}
		if c.shape != "" {
			f.Annotations[ShapeAnnotation] = c.shape
		}
		got, err := WasmShape(f)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s %q: %q, %v; want %q, %v", c.lang, c.shape, got, err, c.want, c.err)
		}
	}
}
