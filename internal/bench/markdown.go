package bench

import (
	"fmt"
	"strings"
)

// Markdown renders the report: environment, the headline table beside the
// study's numbers, one section per measurement, plots and notes.
func Markdown(r *Results, stem string, plots []Plot) string {
	var b strings.Builder
	e := r.Environment
	fmt.Fprintf(&b, "# faas-wasm side-by-side benchmark: %s mode, %s profile\n\n", e.Mode, e.Profile)
	b.WriteString("Written by `faas-wasm bench`; the raw results are in [" + stem + ".json](" + stem + ".json). " +
		"Study = Kjorveziroski & Filiposka (2023), k3s + Spin shim vs OpenFaaS CE (means, from the paper). " +
		"Variants: Go container (`NAME`), Go Wasm (`NAME-wasm`), Rust container (`NAME-rs`), Rust Wasm (`NAME-rs-wasm`), " +
		"as the stack lists them. Ratios are Wasm/container of the same language unless a table says otherwise: " +
		"below 1 Wasm is faster or smaller (for max throughput, above 1 Wasm serves more).\n\n")
	table(&b, []string{"", ""}, [][]string{
		{"Mode", e.Mode}, {"Profile", e.Profile}, {"API", e.Gateway}, {"Provider", e.Provider},
		{"CPU", fmt.Sprintf("%s, %d cores", e.CPU, e.Cores)}, {"Memory", e.MemTotal}, {"Kernel", e.Kernel},
		{"OS", e.OS}, {"Go", e.Go}, {"containerd", orDash(e.Containerd)}, {"Commit", e.Commit},
		{"Load average at start", e.LoadAverage}, {"Started / finished (UTC)", e.Started + " / " + e.Finished},
	})
	p := r.Profile
	fmt.Fprintf(&b, "Profile: %d deploy rounds (+1 uncached), %d scale-from-zero rounds, serial ≤ %d requests / %s per keep-alive setting, "+
		"concurrent %d workers every %s for %s, max throughput %d workers (keep-alive on) ≤ %d requests / %s.\n\n",
		p.DeployRounds, p.ColdRounds, p.Serial.MaxRequests, p.Serial.MaxDuration, p.Concurrent.Workers, p.Concurrent.Interval,
		p.Concurrent.MaxDuration, p.Max.Workers, p.Max.MaxRequests, p.Max.MaxDuration)

	summary(&b, r)
	headline(&b, r)
	ratios(&b, r)
	sections(&b, r)
	podMemorySection(&b, r)
	b.WriteString("## Plots\n\n")
	for _, pl := range plots {
		fmt.Fprintf(&b, "![%s](%s-%s.svg)\n\n", pl.Caption, stem, pl.Name)
	}
	methodology(&b)
	if len(r.Notes) > 0 || anyErrors(r) {
		b.WriteString("## Notes and failures\n\n")
		for _, n := range r.Notes {
			b.WriteString("- " + n + "\n")
		}
		for _, f := range r.Functions {
			for _, v := range f.Variants {
				for _, e := range v.Errors {
					fmt.Fprintf(&b, "- %s: %s\n", v.Name, e)
				}
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func anyErrors(r *Results) bool {
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			if len(v.Errors) > 0 {
				return true
			}
		}
	}
	return false
}

// headline is the one table to read: every variant of every function,
// one row each, through every phase.
func headline(b *strings.Builder, r *Results) {
	b.WriteString("## Headline: the variants side by side\n\n")
	b.WriteString("Size = KB of the image without its signed precompiled layer (manifest + config + the module's or " +
		"binary's layers; the precompiled layer's KB are in the artifact size table: a provider trusting the build key pulls them too). First deploy = ms from POST to the first 200 of the variant's very first deploy " +
		"(a digest the node has never seen: image pull, and for Wasm compilation into the module cache; what a new " +
		"version of a function costs). Deploy = median ms of the later deploy rounds (image and compiled module cached). " +
		"Scale from zero = median ms of the first request after scale to zero. Serial = mean ms over one connection, " +
		"keep-alive off (the study's setting). Concurrent = mean ms at 5 workers × 5 rps. Max = req/s of the " +
		"max-throughput run.\n\n")
	var rows [][]string
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			rows = append(rows, []string{f.Name, variantOf(v).Title(), num(sizeKB(v), 0), num(v.FirstDeployMs, 0),
				num(deployMedian(v), 0), num(coldMedian(v), 1), num(serialMean(v), 2),
				num(concurrentMean(v), 2), num(maxRPS(v), 0)})
		}
	}
	table(b, []string{"function", "variant", "size KB", "first deploy ms", "deploy ms", "scale from zero ms", "serial ms",
		"concurrent ms", "max req/s"}, rows)
}

// variantOf is the variant a result belongs to (results written before the
// language dimension are Go).
func variantOf(v *VariantResult) Variant {
	out := Variant{Language: v.Language, Kind: v.Kind}
	if out.Language == "" {
		out.Language = "go"
	}
	if out.Kind == "" {
		out.Kind = KindContainer
		if v.Wasm {
			out.Kind = KindWasm
		}
	}
	return out
}
