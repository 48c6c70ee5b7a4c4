package builder

import (
	"errors"
	"testing"
)

func TestParseStack(t *testing.T) {
	env := map[string]string{"REGISTRY": "reg.local:5000", "EMPTY": ""}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	tests := []struct {
		name      string
		yaml      string
		wantImage string
		wantWasm  bool
		wantErr   error
	}{
		{"default used when unset", "functions:\n  a:\n    handler: ./a\n    image: ${UNSET:-127.0.0.1:5000}/a:latest\n", "127.0.0.1:5000/a:latest", false, nil},
		{"variable set", "functions:\n  a:\n    handler: ./a\n    image: ${REGISTRY:-x}/a:latest\n", "reg.local:5000/a:latest", false, nil},
		{"empty uses :- default", "functions:\n  a:\n    handler: ./a\n    image: ${EMPTY:-d}/a\n", "d/a", false, nil},
		{"empty kept with - default", "functions:\n  a:\n    handler: ./a\n    image: x${EMPTY-d}/a\n", "x/a", false, nil},
		{"plain reference", "functions:\n  a:\n    handler: ./a\n    image: ${REGISTRY}/a\n", "reg.local:5000/a", false, nil},
		{"wasm annotation", "functions:\n  a:\n    handler: ./a\n    image: a\n    annotations:\n      com.openfaas.runtime: wasm\n", "a", true, nil},
		{"unterminated", "functions:\n  a:\n    handler: ./a\n    image: ${REGISTRY\n", "", false, ErrStack},
		{"no image", "functions:\n  a:\n    handler: ./a\n", "", false, ErrStack},
		{"no functions", "version: 1.0\n", "", false, ErrStack},
		{"bad yaml", "functions: [\n", "", false, ErrStack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseStack([]byte(tt.yaml), lookup)
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
