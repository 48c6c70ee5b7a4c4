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
		"Ratios are Wasm/container: below 1 Wasm is faster or smaller.\n\n")
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

	headline(&b, r)
	sections(&b, r)
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
			for _, v := range []*VariantResult{f.Container, f.Wasm} {
				if v == nil {
					continue
				}
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
		if (f.Container != nil && len(f.Container.Errors) > 0) || (f.Wasm != nil && len(f.Wasm.Errors) > 0) {
			return true
		}
	}
	return false
}

// headline is the one table to read: ours beside the study's.
func headline(b *strings.Builder, r *Results) {
	b.WriteString("## Headline\n\n")
	b.WriteString("Serial = mean ms over one connection, keep-alive off (the study's setting). " +
		"Concurrent = mean ms at 5 workers × 5 rps. Deploy = median ms from POST to the first 200. Size = KB pulled.\n\n")
	var rows [][]string
	for _, f := range r.Functions {
		c, w, s := f.Container, f.Wasm, Study[f.Name]
		rows = append(rows, []string{f.Name,
			num(pick(c, serialOff, mean), 1), num(pick(w, serialOff, mean), 1), ratio(pick(w, serialOff, mean), pick(c, serialOff, mean)),
			ratio(s.SerialWasmMs, s.SerialContainerMs),
			num(pick(c, concurrent, mean), 1), num(pick(w, concurrent, mean), 1), ratio(pick(w, concurrent, mean), pick(c, concurrent, mean)),
			ratio(s.ConcurrentWasmMs, s.ConcurrentContainerMs),
			num(pick(c, deploy, p50), 0), num(pick(w, deploy, p50), 0), ratio(pick(w, deploy, p50), pick(c, deploy, p50)),
			num(sizeKB(c), 0), num(sizeKB(w), 0), ratio(sizeKB(w), sizeKB(c)),
		})
	}
	rows = append(rows, []string{"study (all)", "", "", "", "", "", "", "", "", "1721", "824",
		ratio(StudyDeployWasmS, StudyDeployContainerS), "8780–8920 (Go)", "122–753", "65–75× smaller"})
	table(b, []string{"function", "serial C", "serial W", "W/C", "study W/C", "conc. C", "conc. W", "W/C", "study W/C",
		"deploy C", "deploy W", "W/C", "size C", "size W", "W/C"}, rows)
}

// sections writes one table per measurement.
func sections(b *strings.Builder, r *Results) {
	type col struct {
		name  string
		get   func(*VariantResult) *LoadResult
		field func(*LoadResult) float64
		prec  int
	}
	section := func(title, intro string, cols []col, study func(string) (float64, float64)) {
		b.WriteString("## " + title + "\n\n" + intro + "\n\n")
		header := []string{"function", "variant"}
		for _, c := range cols {
			header = append(header, c.name)
		}
		if study != nil {
			header = append(header, "study mean")
		}
		header = append(header, "W/C (first column)")
		var rows [][]string
		for _, f := range r.Functions {
			for i, v := range []*VariantResult{f.Container, f.Wasm} {
				if v == nil {
					continue
				}
				row := []string{f.Name, v.Name}
				for _, c := range cols {
					row = append(row, num(pick(v, c.get, c.field), c.prec))
				}
				if study != nil {
					sw, sc := study(f.Name)
					row = append(row, num([]float64{sc, sw}[i], 1))
				}
				rt := ""
				if i == 1 {
					rt = ratio(pick(f.Wasm, cols[0].get, cols[0].field), pick(f.Container, cols[0].get, cols[0].field))
				}
				rows = append(rows, append(row, rt))
			}
		}
		table(b, header, rows)
	}
	latency := func(get func(*VariantResult) *LoadResult) []col {
		return []col{{"mean ms", get, mean, 2}, {"p50", get, p50, 2}, {"p99", get, p99, 2}, {"stddev", get, sd, 2},
			{"req/s", get, rps, 1}, {"n", get, count, 0}, {"errors", get, errs, 0}}
	}
	serialStudy := func(n string) (float64, float64) { return Study[n].SerialWasmMs, Study[n].SerialContainerMs }
	concStudy := func(n string) (float64, float64) { return Study[n].ConcurrentWasmMs, Study[n].ConcurrentContainerMs }

	b.WriteString("## Artifact size\n\nManifest + config + layers as stored in the registry (what a node pulls).\n\n")
	var rows [][]string
	for _, f := range r.Functions {
		rows = append(rows, []string{f.Name, num(sizeKB(f.Container), 0), num(sizeKB(f.Wasm), 0), ratio(sizeKB(f.Wasm), sizeKB(f.Container))})
	}
	table(b, []string{"function", "container KB", "Wasm KB", "W/C"}, rows)
	fmt.Fprintf(b, "Study: Wasm %d–%d KB, OpenFaaS Go images %d–%d KB.\n\n", StudySizeWasmMinKB, StudySizeWasmMaxKB,
		StudySizeContainerGoMinKB, StudySizeContainerGoMaxKB)

	b.WriteString("## Deploy → first 200\n\nFrom POST /system/functions to the first 200 of the function with the study's input; " +
		"the function is deleted between rounds. \"first\" is the very first deploy (image pull, and for Wasm the compilation " +
		"into the module cache); the statistics cover the later rounds. " +
		fmt.Sprintf("Study (pod created → container started, 100 runs): Wasm %.3f s, OpenFaaS %.3f s.\n\n", StudyDeployWasmS, StudyDeployContainerS))
	rows = nil
	for _, f := range r.Functions {
		for i, v := range []*VariantResult{f.Container, f.Wasm} {
			if v == nil {
				continue
			}
			rt := ""
			if i == 1 {
				rt = ratio(pick(f.Wasm, deploy, p50), pick(f.Container, deploy, p50))
			}
			rows = append(rows, []string{f.Name, v.Name, num(v.FirstDeployMs, 0), num(pick(v, deploy, p50), 1),
				num(pick(v, deploy, mean), 1), num(pick(v, deploy, func(l *LoadResult) float64 { return l.Min }), 1),
				num(pick(v, deploy, func(l *LoadResult) float64 { return l.Max }), 1), num(pick(v, deploy, sd), 1),
				num(pick(v, deploy, count), 0), rt})
		}
	}
	table(b, []string{"function", "variant", "first ms", "median ms", "mean", "min", "max", "stddev", "rounds", "W/C (median)"}, rows)

	section("First request after scale to zero", "POST /system/scale-function with 0 replicas, wait until no replica is "+
		"available, then time the first request until it answers 200 (the provider scales from zero). "+
		"The provider API has no way to delete a single replica; deploy → first 200 covers a recreated function.",
		[]col{{"median ms", cold, p50, 1}, {"mean", cold, mean, 1}, {"max", cold, func(l *LoadResult) float64 { return l.Max }, 1},
			{"rounds", cold, count, 0}}, nil)
	section("Serial latency, keep-alive off", "One request at a time, a new TCP connection for each (the study's `hey` setting).",
		latency(serialOff), serialStudy)
	section("Serial latency, keep-alive on", "One request at a time over one reused connection.", latency(serialOn), nil)
	section("Concurrent load, 5 workers × 5 rps", "The study's setting: 5 workers, each starting a request every 200 ms, keep-alive off.",
		latency(concurrent), concStudy)
	section("Max throughput", "Workers send back to back over kept-alive connections, bounded in requests and time.",
		[]col{{"req/s", maxLoad, rps, 1}, {"mean ms", maxLoad, mean, 2}, {"p50", maxLoad, p50, 2}, {"p99", maxLoad, p99, 2},
			{"n", maxLoad, count, 0}, {"errors", maxLoad, errs, 0}}, nil)
	usageSection(b, r)
}
