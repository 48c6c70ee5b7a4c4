package bench

import (
	"fmt"
	"strings"
)

// summaryMeasure is one row of the summary table: a value per variant,
// compared Wasm over container of the same language.
type summaryMeasure struct {
	name string
	get  func(*VariantResult) float64
	prec int
	// study is the study's figure for the row ("—" for none).
	study func() string
	// target is issue 17's goal on Kubernetes, with whether this run's
	// figures of one language meet it; nil for none.
	target func(summaryCell) (string, bool)
}

// summaryCell is what the summary has of one measure and language.
type summaryCell struct {
	lang string
	// wasm and container are the medians over the functions.
	wasm, container float64
	// ratio is the median of the functions' Wasm / container ratios.
	ratio float64
	// containerDeploy is the container's median deploy → first 200
	// (image digest cached), the same for every measure.
	containerDeploy float64
}

// summaryMeasures are the summary's rows, in order.
var summaryMeasures = []summaryMeasure{
	{"size KB", sizeKB, 0, func() string {
		return fmt.Sprintf("Wasm %d–%d KB, OpenFaaS Go %d–%d KB", StudySizeWasmMinKB, StudySizeWasmMaxKB, StudySizeContainerGoMinKB, StudySizeContainerGoMaxKB)
	}, nil},
	{"deploy → first 200, image digest cached (ms)", deployMedian, 0, func() string {
		return fmt.Sprintf("Wasm %.0f, OpenFaaS %.0f ms (pod created → started): %s", StudyDeployWasmS*1000, StudyDeployContainerS*1000,
			ratio(StudyDeployWasmS, StudyDeployContainerS))
	}, func(s summaryCell) (string, bool) { return "Wasm ≤ 100 ms", s.wasm <= 100 }},
	{"deploy → first 200, new digest (ms)", firstDeploy, 0, none, func(s summaryCell) (string, bool) {
		return "Wasm ≤ the container's deploy (cached, row above)", s.containerDeploy > 0 && s.wasm <= s.containerDeploy
	}},
	{"scale from zero → 200 (ms)", coldMedian, 1, none,
		func(s summaryCell) (string, bool) { return "Wasm ≤ 20 ms", s.wasm <= 20 }},
	{"serial, keep-alive off (mean ms)", serialMean, 2, func() string {
		return "W/C " + ratioRange(studyRatios(studySerial))
	}, nil},
	{"concurrent, 5 × 5 rps (mean ms)", concurrentMean, 2, func() string {
		return "W/C " + ratioRange(studyRatios(studyConc))
	}, nil},
	{"max throughput (req/s)", maxRPS, 0, none,
		func(s summaryCell) (string, bool) {
			goal, ok := maxThroughputGoal[s.lang]
			return "W/C ≥ 0.5 Go, ≥ 1.0 Rust", ok && s.ratio >= goal
		}},
	{"PSS per pod (MiB)", pssMiB, 1, none, nil},
	{"unique memory per pod (MiB)", uniqueMiB, 1, none, func(s summaryCell) (string, bool) {
		return "Wasm ≤ container", s.container > 0 && s.wasm <= s.container
	}},
}

// maxThroughputGoal is issue 17's pod throughput goal, Wasm / container.
var maxThroughputGoal = map[string]float64{"go": 0.5, "rust": 1.0}

func none() string { return "—" }

// summaryValue returns, for one measure and variant, the median over the
// functions that have a value.
func summaryValue(r *Results, v Variant, get func(*VariantResult) float64) float64 {
	var vs []float64
	for _, f := range r.Functions {
		if x := get(f.Variant(v)); x > 0 {
			vs = append(vs, x)
		}
	}
	return median(vs)
}

// summaryRatio returns the median over the functions of Wasm / container
// of the same language, and the range.
func summaryRatio(r *Results, lang string, get func(*VariantResult) float64) (float64, string) {
	var rs []float64
	for _, f := range r.Functions {
		if x := Ratio(get(f.Variant(Variant{lang, KindWasm})), get(f.Variant(Variant{lang, KindContainer}))); x > 0 {
			rs = append(rs, x)
		}
	}
	return median(rs), ratioRange(rs)
}

// summary writes the one table of the run: every measure, median over the
// functions, per variant, Wasm over container per language, the study's
// figure and, on Kubernetes, issue 17's targets with whether this run
// meets them.
func summary(b *strings.Builder, r *Results) {
	langs := languagesOf(r)
	if len(langs) == 0 {
		return
	}
	k8s := r.Environment.Mode == "kubernetes"
	b.WriteString("## Summary: medians over the functions\n\n")
	fmt.Fprintf(b, "Each cell is the median over the %d functions measured of the value in the sections below (deploy: median of "+
		"the later rounds; new digest: the variant's first deploy, a digest the provider and node have not seen; scale from zero: "+
		"median of the rounds; serial and concurrent: mean; memory: median over the idle pods). W/C is the median of the "+
		"functions' Wasm / container ratios of the same language (range in brackets).", len(r.Functions))
	if k8s {
		b.WriteString(" Targets are issue 17's, for Kubernetes; \"met\" is judged on this run's medians.")
	}
	b.WriteString("\n\n")
	header := []string{"measure"}
	for _, l := range langs {
		t := languageTitle[l]
		header = append(header, t+" container", t+" Wasm", t+" W/C")
	}
	header = append(header, "study")
	if k8s {
		header = append(header, "target (issue 17)")
	}
	var rows [][]string
	for _, m := range summaryMeasures {
		row := []string{m.name}
		var goal string
		var verdicts []string
		for _, l := range langs {
			s := summaryCell{lang: l, wasm: summaryValue(r, Variant{l, KindWasm}, m.get), container: summaryValue(r, Variant{l, KindContainer}, m.get),
				containerDeploy: summaryValue(r, Variant{l, KindContainer}, deployMedian)}
			var rng string
			s.ratio, rng = summaryRatio(r, l, m.get)
			cell := fmtRatio(s.ratio)
			if s.ratio > 0 && rng != cell {
				cell += " (" + rng + ")"
			}
			row = append(row, num(s.container, m.prec), num(s.wasm, m.prec), cell)
			if m.target == nil || s.wasm <= 0 {
				continue
			}
			text, met := m.target(s)
			goal = text
			verdict := "not met"
			if met {
				verdict = "met"
			}
			verdicts = append(verdicts, languageTitle[l]+" "+verdict)
		}
		row = append(row, m.study())
		if k8s {
			cell := "—"
			if goal != "" {
				cell = goal + ": " + strings.Join(verdicts, ", ")
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	table(b, header, rows)
}
