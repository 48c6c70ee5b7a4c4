package bench

import (
	"context"
)

// FunctionResult holds the variants of one of the study's functions.
type FunctionResult struct {
	// Name is the base name (the Go container variant's).
	Name string `json:"name"`
	// Query is the study's input.
	Query string `json:"query"`
	// Variants are the measured variants, in Variants order (language,
	// then container before Wasm); each carries its language and kind.
	Variants []*VariantResult `json:"variants"`
}

// Variant returns the result of variant v, or nil when not measured.
func (f *FunctionResult) Variant(v Variant) *VariantResult {
	if f == nil {
		return nil
	}
	for _, r := range f.Variants {
		if r != nil && variantOf(r) == v {
			return r
		}
	}
	return nil
}

// variantsOf returns the variants that some function of r has, in
// Variants order.
func variantsOf(r *Results) []Variant {
	var out []Variant
	for _, v := range Variants {
		for _, f := range r.Functions {
			if f.Variant(v) != nil {
				out = append(out, v)
				break
			}
		}
	}
	return out
}

// languagesOf returns the languages measured in r, in Languages order.
func languagesOf(r *Results) []string {
	var out []string
	for _, v := range variantsOf(r) {
		if len(out) == 0 || out[len(out)-1] != v.Language {
			out = append(out, v.Language)
		}
	}
	return out
}

// measurePlan measures every planned variant one after the other; host
// returns the address of this machine as the variant's functions see it.
func measurePlan(ctx context.Context, t Target, p Profile, plan *Plan, s *Services, host func(Variant) string) []*FunctionResult {
	var out []*FunctionResult
	t.Progress.SetTotal(plan.Len())
	for _, pf := range plan.Functions {
		fr := &FunctionResult{Name: pf.Base, Query: StudyInputs[pf.Base]}
		out = append(out, fr)
		for _, pv := range pf.Variants {
			if ctx.Err() != nil {
				return out
			}
			dep := Deployment(pv.Name, pv.Function, s, host(pv.Variant))
			t.Progress.Next()
			vr := MeasureVariant(ctx, t, p, dep, fr.Query, pv.Wasm())
			vr.Language, vr.Kind = pv.Language, pv.Kind
			fr.Variants = append(fr.Variants, vr)
		}
	}
	return out
}
