package bench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/faas-wasm/faas-wasm/internal/builder"
	"github.com/faas-wasm/faas-wasm/internal/wasmopts"
)

// Kinds of variant: a container image or a Wasm module.
const (
	KindContainer = "container"
	KindWasm      = "wasm"
)

// Languages are the guest languages the benchmark knows, in report order.
// A function's variant in language L and kind K is the stack entry named
// by VariantName (Go: NAME and NAME-wasm; Rust: NAME-rs and NAME-rs-wasm).
var Languages = []string{"go", "rust"}

// languageSuffix is the name suffix of each language's entries, and
// languageLang the prefix of their stack `lang:` (go-faaswasm,
// rust-faaswasm); an entry whose lang says otherwise is not that
// language's variant (plain-c-wasm is no Go Wasm variant of "plain-c").
var (
	languageSuffix = map[string]string{"go": "", "rust": "-rs"}
	languageLang   = map[string]string{"go": "go", "rust": "rust"}
	languageTitle  = map[string]string{"go": "Go", "rust": "Rust"}
)

// Variant is one (language × kind) of a function.
type Variant struct {
	// Language is one of Languages.
	Language string
	// Kind is KindContainer or KindWasm.
	Kind string
}

// Variants are the four variants in report order.
var Variants = []Variant{{"go", KindContainer}, {"go", KindWasm}, {"rust", KindContainer}, {"rust", KindWasm}}

// Wasm reports whether the variant is a Wasm module.
func (v Variant) Wasm() bool { return v.Kind == KindWasm }

// String is the variant as the flags and JSON spell it: "go/wasm".
func (v Variant) String() string { return v.Language + "/" + v.Kind }

// Title is the variant as the report shows it: "Rust Wasm".
func (v Variant) Title() string {
	t := languageTitle[v.Language]
	if t == "" {
		t = v.Language
	}
	if v.Wasm() {
		return t + " Wasm"
	}
	return t + " container"
}

// VariantName is the stack entry of base's variant v.
func VariantName(base string, v Variant) string {
	n := base + languageSuffix[v.Language]
	if v.Wasm() {
		n += "-wasm"
	}
	return n
}

// ParseVariantName splits a stack entry name into its base name and
// variant by the naming convention (the longest suffix wins: NAME-rs-wasm
// is Rust Wasm, not Go Wasm of NAME-rs).
func ParseVariantName(name string) (string, Variant) {
	kind := KindContainer
	rest := name
	if s, ok := strings.CutSuffix(name, "-wasm"); ok && s != "" {
		kind, rest = KindWasm, s
	}
	for _, l := range Languages {
		if sfx := languageSuffix[l]; sfx != "" {
			if s, ok := strings.CutSuffix(rest, sfx); ok && s != "" {
				return s, Variant{l, kind}
			}
		}
	}
	return rest, Variant{"go", kind}
}

// Selection is which variants a run measures.
type Selection struct {
	// Container and Wasm select the kinds (--variants).
	Container, Wasm bool
	// Languages selects the languages (--languages); empty is every
	// language found in the stack.
	Languages []string
	// Warm deploys every Wasm variant in warm mode (--wasm-mode warm; see
	// warmStack).
	Warm bool
}

// wants reports whether the selection includes v.
func (s Selection) wants(v Variant) bool {
	if (v.Wasm() && !s.Wasm) || (!v.Wasm() && !s.Container) {
		return false
	}
	return len(s.Languages) == 0 || slices.Contains(s.Languages, v.Language)
}

// PlannedVariant is one stack entry to measure.
type PlannedVariant struct {
	Variant
	// Name is the stack entry (the deployed function's name).
	Name string
	// Function is the stack entry.
	Function builder.Function
}

// PlannedFunction is one of the study's functions and its variants to
// measure, in Variants order.
type PlannedFunction struct {
	Base     string
	Variants []PlannedVariant
}

// Plan is what a run measures.
type Plan struct {
	Functions []PlannedFunction
	// Notes say which variants the stack lacks.
	Notes []string
}

// Names are the stack entries of the plan, in measuring order.
func (p *Plan) Names() []string {
	var out []string
	for _, f := range p.Functions {
		for _, v := range f.Variants {
			out = append(out, v.Name)
		}
	}
	return out
}

// Len is the number of variants to measure.
func (p *Plan) Len() int { return len(p.Names()) }

// lookup returns base's variant v from the stack, if the stack has it
// under the conventional name with a matching lang.
func lookup(stack *builder.Stack, base string, v Variant) (builder.Function, string, bool) {
	name := VariantName(base, v)
	fn, ok := stack.Functions[name]
	if !ok {
		return fn, name, false
	}
	if fn.Lang != "" && !strings.HasPrefix(fn.Lang, languageLang[v.Language]) {
		return fn, name, false
	}
	return fn, name, true
}

// PlanStack picks the variants of bases (every base name of the stack when
// empty) that sel asks for. A language the stack has no entry for is
// skipped with a note, as is a single variant a function lacks.
//
// # Errors
//
// ErrUsage for a base name without any variant in the stack, or when
// nothing is left to measure.
func PlanStack(stack *builder.Stack, bases []string, sel Selection) (*Plan, error) {
	if len(bases) == 0 {
		bases = stackBases(stack)
	}
	present := map[string]bool{}
	for _, b := range bases {
		found := false
		for _, v := range Variants {
			if _, _, ok := lookup(stack, b, v); ok {
				found, present[v.Language] = true, true
			}
		}
		if !found {
			return nil, fmt.Errorf("bench: %w: no function %s in the stack (none of %s)", ErrUsage, b, strings.Join(variantNames(b), ", "))
		}
	}
	plan := &Plan{}
	for _, l := range Languages {
		if !present[l] && (len(sel.Languages) == 0 || slices.Contains(sel.Languages, l)) {
			plan.Notes = append(plan.Notes, fmt.Sprintf("%s variants were not measured: the stack has none (%s)", languageTitle[l],
				strings.Join(variantNames("NAME", Variant{l, KindContainer}, Variant{l, KindWasm}), ", ")))
		}
	}
	for _, b := range bases {
		pf := PlannedFunction{Base: b}
		for _, v := range Variants {
			if !sel.wants(v) || !present[v.Language] {
				continue
			}
			fn, name, ok := lookup(stack, b, v)
			if !ok {
				plan.Notes = append(plan.Notes, fmt.Sprintf("%s: no %s variant (%s) in the stack, skipped", b, v.Title(), name))
				continue
			}
			pf.Variants = append(pf.Variants, PlannedVariant{Variant: v, Name: name, Function: fn})
		}
		if len(pf.Variants) > 0 {
			plan.Functions = append(plan.Functions, pf)
		}
	}
	if len(plan.Functions) == 0 {
		return nil, fmt.Errorf("bench: %w: nothing to measure (%s)", ErrUsage, strings.Join(plan.Notes, "; "))
	}
	return plan, nil
}

// variantNames are the stack names of base's variants vs (all when none).
func variantNames(base string, vs ...Variant) []string {
	if len(vs) == 0 {
		vs = Variants
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = VariantName(base, v)
	}
	return out
}

// stackBases returns the base names of the stack's entries that are a
// variant of some language (by name and lang), sorted.
func stackBases(stack *builder.Stack) []string {
	var out []string
	for _, n := range stack.Names() {
		b, v := ParseVariantName(n)
		if _, _, ok := lookup(stack, b, v); ok && !slices.Contains(out, b) {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return out
}

// selectVariants loads the stack at path (its Wasm entries in warm mode
// when sel asks, see warmStack) and plans the run; it also returns the
// stack the plan's entries come from, to build them from.
//
// # Errors
//
// Stack loading errors and those of PlanStack and warmStack.
func selectVariants(path string, bases []string, sel Selection) (*builder.Stack, *Plan, error) {
	stack, err := builder.LoadStack(path)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	if sel.Warm {
		if stack, err = warmStack(stack); err != nil {
			return nil, nil, fmt.Errorf("bench: %w (stack %s)", err, path)
		}
	}
	plan, err := PlanStack(stack, bases, sel)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (stack %s)", err, path)
	}
	return stack, plan, nil
}

// warmStack returns a copy of stack whose Wasm entries are deployed in warm
// mode (wasmopts.AnnotationMode: one instance per concurrency slot, reused
// call after call). Warm mode needs a module that exports faas_handle, so an
// entry that builds a command module (the default of Rust and C) is built as
// a reactor instead; Go's snapshots and reactors stay as they are.
//
// # Errors
//
// An entry's lang or shape the builder refuses (builder.WasmShape).
func warmStack(stack *builder.Stack) (*builder.Stack, error) {
	out := *stack
	out.Functions = make(map[string]builder.Function, len(stack.Functions))
	for name, fn := range stack.Functions {
		if fn.IsWasm() {
			shape, err := builder.WasmShape(fn)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			fn = fn.WithAnnotation(wasmopts.AnnotationMode, wasmopts.ModeWarm)
			if shape == builder.ShapeCommand {
				fn = fn.WithAnnotation(builder.ShapeAnnotation, string(builder.ShapeReactor))
			}
		}
		out.Functions[name] = fn
	}
	return &out, nil
}
