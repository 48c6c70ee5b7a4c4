package bench

import (
	"fmt"
	"strings"
)

// col is one numeric column of a section: field of get's load result.
type col struct {
	name  string
	get   func(*VariantResult) *LoadResult
	field func(*LoadResult) float64
	prec  int
}

// variantCells are the first columns of every per-variant row.
func variantCells(f *FunctionResult, v *VariantResult) []string {
	vv := variantOf(v)
	return []string{f.Name, languageTitle[vv.Language], vv.Kind, v.Name}
}

// variantHeader names variantCells' columns.
var variantHeader = []string{"function", "language", "kind", "entry"}

// sameLanguageRatio is, for a Wasm variant, the ratio of value to the
// value of the container of the same language ("" for containers).
func sameLanguageRatio(f *FunctionResult, v *VariantResult, value func(*VariantResult) float64) string {
	vv := variantOf(v)
	if !vv.Wasm() {
		return ""
	}
	return ratio(value(v), value(f.Variant(Variant{vv.Language, KindContainer})))
}

// section writes one table: a row per function and variant with cols,
// the study's mean of the same kind when study is given, and the Wasm /
// container ratio of the same language on the first column.
func section(b *strings.Builder, r *Results, title, intro string, cols []col, study func(string) (float64, float64)) {
	b.WriteString("## " + title + "\n\n" + intro + "\n\n")
	header := append([]string{}, variantHeader...)
	for _, c := range cols {
		header = append(header, c.name)
	}
	if study != nil {
		header = append(header, "study mean (same kind)")
	}
	header = append(header, "W/C same language (first column)")
	var rows [][]string
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			row := variantCells(f, v)
			for _, c := range cols {
				row = append(row, num(pick(v, c.get, c.field), c.prec))
			}
			if study != nil {
				sw, sc := study(f.Name)
				if v.Wasm {
					row = append(row, num(sw, 1))
				} else {
					row = append(row, num(sc, 1))
				}
			}
			first := cols[0]
			rows = append(rows, append(row, sameLanguageRatio(f, v, func(x *VariantResult) float64 { return pick(x, first.get, first.field) })))
		}
	}
	table(b, header, rows)
}

// sections writes one table per measurement.
func sections(b *strings.Builder, r *Results) {
	latency := func(get func(*VariantResult) *LoadResult) []col {
		return []col{{"mean ms", get, mean, 2}, {"p50", get, p50, 2}, {"p99", get, p99, 2}, {"stddev", get, sd, 2},
			{"req/s", get, rps, 1}, {"n", get, count, 0}, {"errors", get, errs, 0}}
	}
	serialStudy := func(n string) (float64, float64) { return Study[n].SerialWasmMs, Study[n].SerialContainerMs }
	concStudy := func(n string) (float64, float64) { return Study[n].ConcurrentWasmMs, Study[n].ConcurrentContainerMs }
	minL := func(l *LoadResult) float64 { return l.Min }
	maxL := func(l *LoadResult) float64 { return l.Max }

	b.WriteString("## Artifact size\n\nManifest + config + layers as stored in the registry. \"KB\" is the image without its " +
		"precompiled layer: the artifact the study's sizes and ratios compare, and all a provider that does not trust the " +
		"build key reads. \"precompiled KB\" is the signed precompiled layer (zstd) the builder adds to Wasm images of " +
		"large modules (Go; Rust and C modules compile in a fraction of a second and ship without it): a trusting " +
		"provider pulls it too, and a containerd node pulls every layer.\n\n")
	goC := Variant{"go", KindContainer}
	var rows [][]string
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			smaller := ""
			if variantOf(v) != goC {
				if x := Ratio(sizeKB(f.Variant(goC)), sizeKB(v)); x > 0 {
					smaller = fmt.Sprintf("%.1f×", x)
				}
			}
			rows = append(rows, append(variantCells(f, v), num(sizeKB(v), 0), num(precompiledKB(v), 0),
				sameLanguageRatio(f, v, sizeKB), smaller))
		}
	}
	table(b, append(append([]string{}, variantHeader...), "KB", "precompiled KB", "W/C same language", "× smaller than the Go container"), rows)
	fmt.Fprintf(b, "Study: Wasm %d–%d KB, OpenFaaS Go images %d–%d KB (Rust images about 51 MB): Wasm %s smaller.\n\n",
		StudySizeWasmMinKB, StudySizeWasmMaxKB, StudySizeContainerGoMinKB, StudySizeContainerGoMaxKB, StudySizeSmaller)

	b.WriteString("## Deploy → first 200\n\nFrom POST /system/functions to the first 200 of the function with the study's input; " +
		"the function is deleted between rounds. \"first\" is the very first deploy of the variant's image (a new digest: " +
		"image pull, and for Wasm the compilation into the module cache); the statistics cover the later rounds. " +
		fmt.Sprintf("Study (pod created → container started, 100 runs): Wasm %.3f s, OpenFaaS %.3f s.\n\n", StudyDeployWasmS, StudyDeployContainerS))
	rows = nil
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			rows = append(rows, append(variantCells(f, v), num(v.FirstDeployMs, 0), num(pick(v, deploy, p50), 1),
				num(pick(v, deploy, mean), 1), num(pick(v, deploy, minL), 1), num(pick(v, deploy, maxL), 1),
				num(pick(v, deploy, sd), 1), num(pick(v, deploy, count), 0),
				sameLanguageRatio(f, v, firstDeploy), sameLanguageRatio(f, v, deployMedian)))
		}
	}
	table(b, append(append([]string{}, variantHeader...), "first ms", "median ms", "mean", "min", "max", "stddev", "rounds",
		"W/C (first)", "W/C (median)"), rows)

	section(b, r, "First request after scale to zero", "POST /system/scale-function with 0 replicas, wait until no replica is "+
		"available, then time the first request until it answers 200 (the provider scales from zero). "+
		"The provider API has no way to delete a single replica; deploy → first 200 covers a recreated function.",
		[]col{{"median ms", cold, p50, 1}, {"mean", cold, mean, 1}, {"max", cold, maxL, 1}, {"rounds", cold, count, 0}}, nil)
	section(b, r, "Serial latency, keep-alive off", "One request at a time, a new TCP connection for each (the study's `hey` setting). "+
		"Study mean = the study's published Wasm (Spin) mean beside Wasm rows, its OpenFaaS mean beside container rows.",
		latency(serialOff), serialStudy)
	section(b, r, "Serial latency, keep-alive on", "One request at a time over one reused connection.", latency(serialOn), nil)
	section(b, r, "Concurrent load, 5 workers × 5 rps", "The study's setting: 5 workers, each starting a request every 200 ms, keep-alive off.",
		latency(concurrent), concStudy)
	section(b, r, "Max throughput", "Workers send back to back over kept-alive connections, bounded in requests and time.",
		[]col{{"req/s", maxLoad, rps, 1}, {"mean ms", maxLoad, mean, 2}, {"p50", maxLoad, p50, 2}, {"p99", maxLoad, p99, 2},
			{"n", maxLoad, count, 0}, {"errors", maxLoad, errs, 0}}, nil)
	usageSection(b, r)
}
