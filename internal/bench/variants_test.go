package bench

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
)

// testStack builds a stack with the named entries; names ending in -wasm
// are Wasm, names with -rs are rust-faaswasm, c- names c-faaswasm.
func testStack(t *testing.T, names ...string) *builder.Stack {
	t.Helper()
	var b strings.Builder
	b.WriteString("version: 1.0\nfunctions:\n")
	for _, n := range names {
		lang := "go-faaswasm"
		switch {
		case strings.Contains(n, "-rs"):
			lang = "rust-faaswasm"
		case strings.HasPrefix(n, "plain-c"):
			lang = "c-faaswasm"
		}
		fmt.Fprintf(&b, "  %s:\n    lang: %s\n    handler: ./h/%s\n    image: r/%s:latest\n", n, lang, n, n)
		if strings.HasSuffix(n, "-wasm") {
			b.WriteString("    annotations:\n      com.openfaas.runtime: wasm\n")
		}
	}
	s, err := builder.ParseStack([]byte(b.String()), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	return s
}

func fourVariants(bases ...string) []string {
	var out []string
	for _, b := range bases {
		out = append(out, b, b+"-wasm", b+"-rs", b+"-rs-wasm")
	}
	return out
}

func TestParseVariantName(t *testing.T) {
	tests := []struct {
		name, base string
		want       Variant
	}{
		{"aes", "aes", Variant{"go", KindContainer}},
		{"aes-wasm", "aes", Variant{"go", KindWasm}},
		{"aes-rs", "aes", Variant{"rust", KindContainer}},
		{"aes-rs-wasm", "aes", Variant{"rust", KindWasm}},
		{"n-body-rs-wasm", "n-body", Variant{"rust", KindWasm}},
		{"plain-c-wasm", "plain-c", Variant{"go", KindWasm}},
		{"-wasm", "-wasm", Variant{"go", KindContainer}},
		{"-rs", "-rs", Variant{"go", KindContainer}},
	}
	for _, tt := range tests {
		base, v := ParseVariantName(tt.name)
		if base != tt.base || v != tt.want {
			t.Errorf("ParseVariantName(%q) = %q, %v; want %q, %v", tt.name, base, v, tt.base, tt.want)
		}
		if tt.base != tt.name && VariantName(base, v) != tt.name {
			t.Errorf("VariantName(%q, %v) = %q", base, v, VariantName(base, v))
		}
	}
}

func TestPlanStack(t *testing.T) {
	all := Selection{Container: true, Wasm: true}
	tests := []struct {
		name      string
		entries   []string
		bases     []string
		sel       Selection
		want      []string // planned entries, in order
		wantNotes []string // substrings, one per note
		wantErr   bool
	}{
		{name: "all four, every base, plain C ignored", entries: append(fourVariants("matmul", "aes"), "plain-c-wasm"), sel: all,
			want: []string{"aes", "aes-wasm", "aes-rs", "aes-rs-wasm", "matmul", "matmul-wasm", "matmul-rs", "matmul-rs-wasm"}},
		{name: "only Go in the stack", entries: []string{"aes", "aes-wasm", "matmul", "matmul-wasm"}, sel: all,
			want: []string{"aes", "aes-wasm", "matmul", "matmul-wasm"}, wantNotes: []string{"Rust variants were not measured: the stack has none (NAME-rs, NAME-rs-wasm)"}},
		{name: "missing Rust container", entries: []string{"aes", "aes-wasm", "aes-rs-wasm", "matmul", "matmul-wasm", "matmul-rs", "matmul-rs-wasm"},
			bases: []string{"aes", "matmul"}, sel: all,
			want:      []string{"aes", "aes-wasm", "aes-rs-wasm", "matmul", "matmul-wasm", "matmul-rs", "matmul-rs-wasm"},
			wantNotes: []string{"aes: no Rust container variant (aes-rs) in the stack, skipped"}},
		{name: "languages filter", entries: fourVariants("aes"), sel: Selection{Container: true, Wasm: true, Languages: []string{"rust"}},
			want: []string{"aes-rs", "aes-rs-wasm"}},
		{name: "wasm only", entries: fourVariants("aes"), sel: Selection{Wasm: true}, want: []string{"aes-wasm", "aes-rs-wasm"}},
		{name: "container only, Go only stack", entries: []string{"aes", "aes-wasm"}, sel: Selection{Container: true},
			want: []string{"aes"}, wantNotes: []string{"Rust variants were not measured"}},
		{name: "Go filter says nothing of missing Rust", entries: []string{"aes", "aes-wasm"},
			sel: Selection{Container: true, Wasm: true, Languages: []string{"go"}}, want: []string{"aes", "aes-wasm"}},
		{name: "asked for Rust, stack has none", entries: []string{"aes", "aes-wasm"},
			sel: Selection{Container: true, Wasm: true, Languages: []string{"rust"}}, wantErr: true},
		{name: "unknown function", entries: fourVariants("aes"), bases: []string{"nope"}, sel: all, wantErr: true},
		{name: "a Go-named entry of another lang is no variant", entries: []string{"plain-c-wasm"}, bases: []string{"plain-c"}, sel: all, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := PlanStack(testStack(t, tt.entries...), tt.bases, tt.sel)
			if tt.wantErr {
				if !errors.Is(err, ErrUsage) {
					t.Fatalf("err = %v, want ErrUsage", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := plan.Names(); !slices.Equal(got, tt.want) {
				t.Errorf("names = %q, want %q", got, tt.want)
			}
			if plan.Len() != len(tt.want) {
				t.Errorf("Len = %d", plan.Len())
			}
			if len(plan.Notes) != len(tt.wantNotes) {
				t.Fatalf("notes = %q, want %d", plan.Notes, len(tt.wantNotes))
			}
			for i, n := range tt.wantNotes {
				if !strings.Contains(plan.Notes[i], n) {
					t.Errorf("note %q lacks %q", plan.Notes[i], n)
				}
			}
			for _, f := range plan.Functions {
				for _, v := range f.Variants {
					if VariantName(f.Base, v.Variant) != v.Name || v.Function.Image != "r/"+v.Name+":latest" || v.Wasm() != v.Function.IsWasm() {
						t.Errorf("%s: planned %+v", f.Base, v)
					}
				}
			}
		})
	}
}

func TestPlanStackRepository(t *testing.T) {
	stack, err := builder.LoadStack("../../stack.yml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanStack(stack, nil, Selection{Container: true, Wasm: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Functions) != len(StudyInputs) {
		t.Errorf("functions = %d, want the study's %d", len(plan.Functions), len(StudyInputs))
	}
	for _, f := range plan.Functions {
		if _, ok := StudyInputs[f.Base]; !ok {
			t.Errorf("%s is not one of the study's functions", f.Base)
		}
	}
}

func TestWarmStack(t *testing.T) {
	stack := testStack(t, "aes", "aes-wasm", "aes-rs", "aes-rs-wasm", "hash-wasm", "hash-rs-wasm", "plain-c-wasm")
	set := func(name, key, value string) {
		f := stack.Functions[name]
		f.Annotations[key] = value
		stack.Functions[name] = f
	}
	set("hash-wasm", builder.ShapeAnnotation, "command")
	set("hash-rs-wasm", builder.ShapeAnnotation, "reactor")
	warm, err := warmStack(stack)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // the shape each Wasm entry is built as
		"aes-wasm":     "", // Go's default, a snapshot
		"aes-rs-wasm":  "reactor",
		"hash-wasm":    "reactor",
		"hash-rs-wasm": "reactor",
		"plain-c-wasm": "reactor",
	}
	for name, fn := range warm.Functions {
		shape, wasm := want[name]
		switch {
		case !wasm && len(fn.Annotations) != 0:
			t.Errorf("container %s got annotations %v", name, fn.Annotations)
		case wasm && fn.Annotations[wasmopts.AnnotationMode] != wasmopts.ModeWarm:
			t.Errorf("%s: mode %q, want warm", name, fn.Annotations[wasmopts.AnnotationMode])
		case wasm && fn.Annotations[builder.ShapeAnnotation] != shape:
			t.Errorf("%s: shape %q, want %q", name, fn.Annotations[builder.ShapeAnnotation], shape)
		}
	}
	if len(warm.Functions) != len(stack.Functions) {
		t.Errorf("warm stack has %d entries, want %d", len(warm.Functions), len(stack.Functions))
	}
	for name, fn := range stack.Functions {
		if _, ok := fn.Annotations[wasmopts.AnnotationMode]; ok {
			t.Errorf("the original stack's %s changed: %v", name, fn.Annotations)
		}
	}

	set("aes-rs-wasm", builder.ShapeAnnotation, "snapshot")
	if _, err := warmStack(stack); !errors.Is(err, builder.ErrStack) || !strings.Contains(err.Error(), "aes-rs-wasm") {
		t.Errorf("a Rust snapshot entry: err = %v, want ErrStack naming the entry", err)
	}
}

func TestReportName(t *testing.T) {
	for _, c := range []struct {
		report, mode string
		warm         bool
		profile      string
		want         string
	}{
		{"", "kubernetes", false, "full", "kubernetes"},
		{"", "kubernetes", true, "full", "kubernetes-warm"},
		{"", "local", true, "quick", "local-warm-quick"},
		{"", "local", false, "quick", "local-quick"},
		{"mine", "local", true, "quick", "mine"},
	} {
		if got := reportName(c.report, c.mode, c.warm, c.profile); got != c.want {
			t.Errorf("reportName(%q, %q, %v, %q) = %q, want %q", c.report, c.mode, c.warm, c.profile, got, c.want)
		}
	}
}

// TestSelectVariantsWarm: with --wasm-mode warm the plan's Wasm variants
// of the repository's stack, which both the build and the deployment read,
// ask for warm mode and for a module that warm mode can run.
func TestSelectVariantsWarm(t *testing.T) {
	stack, plan, err := selectVariants("../../stack.yml", []string{"prime-numbers"}, Selection{Container: true, Wasm: true, Warm: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range plan.Functions[0].Variants {
		mode := v.Function.Annotations[wasmopts.AnnotationMode]
		shape, err := builder.WasmShape(v.Function)
		switch {
		case !v.Wasm() && mode != "":
			t.Errorf("%s: a container got mode %q", v.Name, mode)
		case v.Wasm() && (mode != wasmopts.ModeWarm || err != nil || shape == builder.ShapeCommand):
			t.Errorf("%s: mode %q, shape %q (%v); want warm and a reactor or snapshot", v.Name, mode, shape, err)
		}
		if !reflect.DeepEqual(stack.Functions[v.Name], v.Function) {
			t.Errorf("%s: the stack built from differs from the plan's entry", v.Name)
		}
	}
	if n := len(plan.Functions[0].Variants); n != 4 {
		t.Errorf("%d variants, want 4", n)
	}
}
