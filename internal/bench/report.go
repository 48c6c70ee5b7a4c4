package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteReport writes stem.json, stem.md and the stem-*.svg plots into dir
// and returns their paths.
//
// # Errors
//
// File system errors.
func WriteReport(dir, stem string, r *Results) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}
	var files []string
	write := func(name string, data []byte) error {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		files = append(files, path)
		return nil
	}
	js, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("write report: %w", err)
	}
	if err := write(stem+".json", append(js, '\n')); err != nil {
		return files, err
	}
	plots := Plots(r)
	for _, p := range plots {
		if err := write(stem+"-"+p.Name+".svg", p.SVG); err != nil {
			return files, err
		}
	}
	if err := write(stem+".md", []byte(Markdown(r, stem, plots))); err != nil {
		return files, err
	}
	return files, nil
}

// Plot is one generated SVG chart.
type Plot struct {
	// Name is the file name's suffix (stem-Name.svg).
	Name string
	// Caption is the chart's title.
	Caption string
	// SVG is the document.
	SVG []byte
}

// Plots draws artifact sizes, deploy times, latency distributions and
// max throughput: one group per function, one series (colour) per
// variant measured (Go container, Go Wasm, Rust container, Rust Wasm).
func Plots(r *Results) []Plot {
	var names []string
	for _, f := range r.Functions {
		names = append(names, f.Name)
	}
	vs := variantsOf(r)
	bars := func(get func(*VariantResult) float64) []Series {
		out := make([]Series, len(vs))
		for i, v := range vs {
			out[i] = Series{Name: v.Title(), Colour: variantColour(v), Values: make([]float64, len(r.Functions))}
			for fi, f := range r.Functions {
				if vr := f.Variant(v); vr != nil {
					out[i].Values[fi] = get(vr)
				}
			}
		}
		return out
	}
	dist := func(name, caption, unit string, get func(*VariantResult) *LoadResult) Plot {
		series := make([]DistSeries, len(vs))
		for i, v := range vs {
			series[i] = DistSeries{Name: v.Title(), Colour: variantColour(v), Samples: make([][]float64, len(r.Functions))}
			for fi, f := range r.Functions {
				if vr := f.Variant(v); vr != nil && get(vr) != nil {
					series[i].Samples[fi] = get(vr).Samples
				}
			}
		}
		return Plot{Name: name, Caption: caption, SVG: BoxPlot(caption, unit, names, series)}
	}
	bar := func(name, caption, unit string, get func(*VariantResult) float64) Plot {
		return Plot{Name: name, Caption: caption, SVG: BarChart(caption, unit, names, bars(get))}
	}
	plots := []Plot{
		bar("size", "Artifact size (manifest + config + layers, without the precompiled layer)", "KB", sizeKB),
		dist("deploy", "Deploy → first 200 (later rounds)", "ms", deploy),
		dist("cold", "Scale to zero → first 200", "ms", cold),
		dist("serial", "Serial latency, keep-alive off", "ms", serialOff),
		dist("serial-keepalive", "Serial latency, keep-alive on", "ms", serialOn),
		dist("concurrent", "Concurrent latency, 5 workers × 5 rps", "ms", concurrent),
		bar("max", "Max throughput", "req/s", maxRPS),
	}
	if hasPodMemory(r) {
		plots = append(plots, bar("memory", "Unique memory per pod (idle)", "MiB", uniqueMiB))
	}
	return plots
}

// hasPodMemory reports whether any variant of r has its memory per pod.
func hasPodMemory(r *Results) bool {
	for _, f := range r.Functions {
		for _, v := range f.Variants {
			if v.PodMemory != nil {
				return true
			}
		}
	}
	return false
}

// table renders a markdown table.
func table(b *strings.Builder, header []string, rows [][]string) {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}

// num formats v with precision digits, or "—" when not positive.
func num(v float64, precision int) string {
	if v <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.*f", precision, v)
}

// ratio formats wasm/container as "0.52×", or "—".
func ratio(w, c float64) string {
	return fmtRatio(Ratio(w, c))
}

// pick returns get(v) or 0 when v or the result is missing.
func pick(v *VariantResult, get func(*VariantResult) *LoadResult, field func(*LoadResult) float64) float64 {
	if v == nil || get(v) == nil {
		return 0
	}
	return field(get(v))
}

func mean(l *LoadResult) float64 { return l.Mean }
func p50(l *LoadResult) float64  { return l.P50 }
func p99(l *LoadResult) float64  { return l.P99 }
func sd(l *LoadResult) float64   { return l.Stddev }
func rps(l *LoadResult) float64  { return l.RPS }
func errs(l *LoadResult) float64 { return float64(l.Errors) }
func count(l *LoadResult) float64 {
	return float64(l.N)
}

func serialOff(v *VariantResult) *LoadResult  { return v.SerialNoKeepAlive }
func serialOn(v *VariantResult) *LoadResult   { return v.SerialKeepAlive }
func concurrent(v *VariantResult) *LoadResult { return v.Concurrent }
func maxLoad(v *VariantResult) *LoadResult    { return v.Max }
func deploy(v *VariantResult) *LoadResult     { return v.Deploy }
func cold(v *VariantResult) *LoadResult       { return v.Cold }

// The values the summary, ratio and section tables compare; 0 when not
// measured.
func deployMedian(v *VariantResult) float64   { return pick(v, deploy, p50) }
func coldMedian(v *VariantResult) float64     { return pick(v, cold, p50) }
func serialMean(v *VariantResult) float64     { return pick(v, serialOff, mean) }
func concurrentMean(v *VariantResult) float64 { return pick(v, concurrent, mean) }
func maxRPS(v *VariantResult) float64         { return pick(v, maxLoad, rps) }

func firstDeploy(v *VariantResult) float64 {
	if v == nil {
		return 0
	}
	return v.FirstDeployMs
}

// sizeKB is the image without its precompiled layer: the artifact itself.
func sizeKB(v *VariantResult) float64 {
	if v == nil || v.Size == nil {
		return 0
	}
	return float64(v.Size.Total-v.Size.Precompiled) / 1000
}

// precompiledKB is the image's signed precompiled layer.
func precompiledKB(v *VariantResult) float64 {
	if v == nil || v.Size == nil {
		return 0
	}
	return float64(v.Size.Precompiled) / 1000
}
