package bench

import (
	"fmt"
	"math"
	"strings"
)

// metric is one value of a variant compared across variants.
type metric struct {
	name string
	get  func(*VariantResult) float64
}

// ratioMetrics are the values the ratio tables compare, in column order.
var ratioMetrics = []metric{
	{"size", sizeKB},
	{"first deploy", firstDeploy},
	{"deploy (median)", deployMedian},
	{"scale from zero", coldMedian},
	{"serial", serialMean},
	{"concurrent", concurrentMean},
	{"max req/s", maxRPS},
}

// Comparison is one ratio table: Num's values over Den's.
type Comparison struct {
	// Title heads the table.
	Title string
	// Num and Den are the compared variants.
	Num, Den Variant
}

// Comparisons are the ratio tables of the report: Wasm over container per
// language, and Rust Wasm over the Go container (issue 19's size goal).
var Comparisons = []Comparison{
	{"Rust Wasm / Rust container", Variant{"rust", KindWasm}, Variant{"rust", KindContainer}},
	{"Go Wasm / Go container", Variant{"go", KindWasm}, Variant{"go", KindContainer}},
	{"Rust Wasm / Go container", Variant{"rust", KindWasm}, Variant{"go", KindContainer}},
}

// RatioRow is one function's ratios of a comparison, in ratioMetrics
// order (0 where either value is missing).
type RatioRow struct {
	Function string
	Ratios   []float64
}

// ComputeRatios returns c's ratios for every function of r that has both
// variants.
func ComputeRatios(r *Results, c Comparison) []RatioRow {
	var out []RatioRow
	for _, f := range r.Functions {
		n, d := f.Variant(c.Num), f.Variant(c.Den)
		if n == nil || d == nil {
			continue
		}
		row := RatioRow{Function: f.Name}
		for _, m := range ratioMetrics {
			row.Ratios = append(row.Ratios, Ratio(m.get(n), m.get(d)))
		}
		out = append(out, row)
	}
	return out
}

// ratioRange formats the smallest and largest positive value: "0.31–0.76×".
func ratioRange(vs []float64) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if v > 0 {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	switch {
	case math.IsInf(lo, 1):
		return "—"
	case ratioDigits(lo) == ratioDigits(hi):
		return ratioDigits(lo) + "×"
	}
	return ratioDigits(lo) + "–" + ratioDigits(hi) + "×"
}

// ratioDigits prints a positive ratio with two decimals, or two
// significant digits below 0.01 (a scale from zero 200× faster is 0.005,
// not 0.00).
func ratioDigits(v float64) string {
	if v < 0.01 {
		return fmt.Sprintf("%.2g", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// studyRatio is the study's Wasm/container ratio for each function, from
// get's Wasm and container means.
func studyRatios(get func(StudyNumbers) (float64, float64)) []float64 {
	var out []float64
	for _, s := range Study {
		out = append(out, Ratio(get(s)))
	}
	return out
}

func studySerial(s StudyNumbers) (float64, float64) { return s.SerialWasmMs, s.SerialContainerMs }
func studyConc(s StudyNumbers) (float64, float64)   { return s.ConcurrentWasmMs, s.ConcurrentContainerMs }

// ratios writes the ratio tables, computed from this run's results, with
// the study's figures beside.
func ratios(b *strings.Builder, r *Results) {
	b.WriteString("## Ratios (this run)\n\n")
	b.WriteString("Each cell is the first variant's value over the second's for the same function, from this run: size, " +
		"first deploy (new digest), deploy median, scale-from-zero median, serial mean (keep-alive off), concurrent mean, " +
		"max throughput. Below 1 the first variant is smaller or faster, except max req/s, where above 1 it serves more. " +
		"\"study serial\" and \"study conc.\" are the study's published Wasm/OpenFaaS ratio of the function's means " +
		"(Spin on k3s vs OpenFaaS CE); the study row gives its published figures: Wasm " + StudySizeSmaller + " smaller than " +
		"the OpenFaaS images, instantiation 0.824 s vs 1.721 s, and the range of its serial and concurrent ratios.\n\n")
	shown := false
	for _, c := range Comparisons {
		rows := ComputeRatios(r, c)
		if len(rows) == 0 {
			continue
		}
		shown = true
		ratioTable(b, c, rows)
	}
	if !shown {
		b.WriteString("No function has both variants of any comparison in this run.\n\n")
	}
}

// ratioTable writes one comparison.
func ratioTable(b *strings.Builder, c Comparison, rows []RatioRow) {
	b.WriteString("### " + c.Title + "\n\n")
	header := []string{"function"}
	for _, m := range ratioMetrics {
		header = append(header, m.name)
	}
	header = append(header, "study serial", "study conc.")
	sizeIdx := 0
	if c.Num.Wasm() && !c.Den.Wasm() {
		header = append(header, "size: × smaller")
	}
	var out [][]string
	cols := make([][]float64, len(ratioMetrics))
	for _, row := range rows {
		cells := []string{row.Function}
		for i, v := range row.Ratios {
			cells = append(cells, fmtRatio(v))
			cols[i] = append(cols[i], v)
		}
		s := Study[row.Function]
		cells = append(cells, ratio(studySerial(s)), ratio(studyConc(s)))
		if len(header) > len(cells) {
			cells = append(cells, smallerBy(row.Ratios[sizeIdx]))
		}
		out = append(out, cells)
	}
	rng := []string{"range"}
	for _, col := range cols {
		rng = append(rng, ratioRange(col))
	}
	rng = append(rng, "", "")
	if len(header) > len(rng) {
		lo, hi := math.Inf(1), 0.0
		for _, v := range cols[sizeIdx] {
			if v > 0 {
				lo, hi = min(lo, 1/v), max(hi, 1/v)
			}
		}
		rng = append(rng, smallerRange(lo, hi))
	}
	out = append(out, rng)
	study := []string{"study", "—", "—", ratio(StudyDeployWasmS, StudyDeployContainerS), "—",
		ratioRange(studyRatios(studySerial)), ratioRange(studyRatios(studyConc)), "—", "", ""}
	if len(header) > len(study) {
		study = append(study, StudySizeSmaller)
	}
	out = append(out, study)
	table(b, header, out)
}

// fmtRatio formats a computed ratio, "—" when missing.
func fmtRatio(v float64) string {
	if v <= 0 {
		return "—"
	}
	return ratioDigits(v) + "×"
}

// smallerBy formats a size ratio as how many times smaller: 0.05 → "20×".
func smallerBy(r float64) string {
	if r <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f×", 1/r)
}

// smallerRange formats "lo–hi×" of smaller-by factors.
func smallerRange(lo, hi float64) string {
	if hi <= 0 || math.IsInf(lo, 1) {
		return "—"
	}
	if fmt.Sprintf("%.1f", lo) == fmt.Sprintf("%.1f", hi) {
		return fmt.Sprintf("%.1f×", lo)
	}
	return fmt.Sprintf("%.1f–%.1f×", lo, hi)
}
