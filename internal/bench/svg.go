package bench

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Series is one named set of values, one per group of a chart.
type Series struct {
	// Name is the legend entry.
	Name string
	// Values has one value per group.
	Values []float64
	// Colour fills the series' bars; empty picks one by position.
	Colour string
}

// DistSeries is one named set of samples, one sample per group.
type DistSeries struct {
	// Name is the legend entry.
	Name string
	// Samples has one sample per group.
	Samples [][]float64
	// Colour draws the series' boxes; empty picks one by position.
	Colour string
}

// Chart geometry and colours shared by the plots.
const (
	chartW, chartH     = 900.0, 420.0
	padL, padR         = 70.0, 20.0
	padT, padB         = 50.0, 110.0
	plotW, plotH       = chartW - padL - padR, chartH - padT - padB
	fontAttrs          = `font-family="sans-serif" font-size="12"`
	defaultSeriesColor = "#76b7b2"
)

// palette colours the series without a colour of their own, by position;
// its first four are the variants' colours (variantColour).
var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759"}

// variantColours: Go blue (container) and orange (Wasm), Rust green
// (container) and red (Wasm), whichever variants a chart shows.
var variantColours = map[Variant]string{
	{"go", KindContainer}: palette[0], {"go", KindWasm}: palette[1],
	{"rust", KindContainer}: palette[2], {"rust", KindWasm}: palette[3],
}

// variantColour is v's colour in every chart.
func variantColour(v Variant) string {
	if c, ok := variantColours[v]; ok {
		return c
	}
	return defaultSeriesColor
}

// seriesColour is colour, or the palette's i-th entry when empty.
func seriesColour(i int, colour string) string {
	switch {
	case colour != "":
		return colour
	case i < len(palette):
		return palette[i]
	}
	return defaultSeriesColor
}

func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// svgHeader writes the document start, the title and the y-axis label.
func svgHeader(b *bytes.Buffer, title, unit string) {
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" %s>`+"\n",
		chartW, chartH, chartW, chartH, fontAttrs)
	fmt.Fprintf(b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(b, `<text x="%.0f" y="24" font-size="16" text-anchor="middle">%s</text>`+"\n", chartW/2, esc(title))
	fmt.Fprintf(b, `<text x="16" y="%.0f" transform="rotate(-90 16 %.0f)" text-anchor="middle">%s</text>`+"\n",
		padT+plotH/2, padT+plotH/2, esc(unit))
}

// svgFooter writes the group labels and the legend: one entry per
// series name in its colour.
func svgFooter(b *bytes.Buffer, groups, names, colours []string) {
	gw := plotW / float64(max(len(groups), 1))
	for i, g := range groups {
		x := padL + gw*(float64(i)+0.5)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="end" transform="rotate(-35 %.1f %.1f)">%s</text>`+"\n",
			x, padT+plotH+16, x, padT+plotH+16, esc(g))
	}
	for i, n := range names {
		x := padL + float64(i)*160
		fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="12" height="12" fill="%s"/><text x="%.0f" y="%.0f">%s</text>`+"\n",
			x, chartH-18, colours[i], x+16, chartH-8, esc(n))
	}
	b.WriteString("</svg>\n")
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// BarChart renders grouped bars on a linear axis from zero; values that
// are not positive leave their bar out.
func BarChart(title, unit string, groups []string, series []Series) []byte {
	var b bytes.Buffer
	svgHeader(&b, title, unit)
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			top = max(top, v)
		}
	}
	top = niceMax(top)
	for i := 0; i <= 5; i++ {
		v := top * float64(i) / 5
		y := padT + plotH - plotH*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			padL, padL+plotW, y, y, padL-6, y+4, esc(formatTick(v)))
	}
	gw := plotW / float64(max(len(groups), 1))
	bw := gw * 0.8 / float64(max(len(series), 1))
	for gi := range groups {
		for si, s := range series {
			if gi >= len(s.Values) || s.Values[gi] <= 0 {
				continue
			}
			h := plotH * s.Values[gi] / top
			x := padL + gw*float64(gi) + gw*0.1 + bw*float64(si)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s %s: %s %s</title></rect>`+"\n",
				x, padT+plotH-h, bw, h, seriesColour(si, s.Colour), esc(groups[gi]), esc(s.Name), esc(formatTick(s.Values[gi])), esc(unit))
		}
	}
	fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="black"/>`+"\n", padL, padL+plotW, padT+plotH, padT+plotH)
	names, colours := make([]string, len(series)), make([]string, len(series))
	for i, s := range series {
		names[i], colours[i] = s.Name, seriesColour(i, s.Colour)
	}
	svgFooter(&b, groups, names, colours)
	return b.Bytes()
}

// BoxPlot renders one box per group and series on a logarithmic axis: the
// box spans p25–p75 with a line at the median, whiskers reach p1 and p99.
// Empty samples are left out.
func BoxPlot(title, unit string, groups []string, series []DistSeries) []byte {
	var b bytes.Buffer
	svgHeader(&b, title, unit+" (log scale)")
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, smp := range s.Samples {
			for _, v := range smp {
				if v > 0 {
					lo, hi = min(lo, v), max(hi, v)
				}
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 1, 10
	}
	lmin, lmax := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if lmax <= lmin {
		lmax = lmin + 1
	}
	y := func(v float64) float64 {
		v = max(v, math.Pow(10, lmin))
		return padT + plotH - plotH*(math.Log10(v)-lmin)/(lmax-lmin)
	}
	for e := lmin; e <= lmax; e++ {
		v := math.Pow(10, e)
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n",
			padL, padL+plotW, y(v), y(v), padL-6, y(v)+4, strconv.FormatFloat(v, 'g', -1, 64))
	}
	gw := plotW / float64(max(len(groups), 1))
	bw := gw * 0.8 / float64(max(len(series), 1))
	for gi := range groups {
		for si, s := range series {
			if gi >= len(s.Samples) || len(s.Samples[gi]) == 0 {
				continue
			}
			sorted := slices.Clone(s.Samples[gi])
			slices.Sort(sorted)
			q := func(p float64) float64 { return Quantile(sorted, p) }
			x := padL + gw*float64(gi) + gw*0.1 + bw*float64(si)
			mid := x + bw/2
			c := seriesColour(si, s.Colour)
			fmt.Fprintf(&b, `<g><title>%s %s: p50 %s %s, p99 %s %s, n=%d</title>`, esc(groups[gi]), esc(s.Name),
				esc(formatTick(q(0.5))), esc(unit), esc(formatTick(q(0.99))), esc(unit), len(sorted))
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s"/>`, mid, mid, y(q(0.01)), y(q(0.99)), c)
			top, bottom := y(q(0.75)), y(q(0.25))
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" fill-opacity="0.6" stroke="%s"/>`,
				x+bw*0.1, top, bw*0.8, max(bottom-top, 1), c, c)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="black" stroke-width="2"/></g>`+"\n",
				x+bw*0.1, x+bw*0.9, y(q(0.5)), y(q(0.5)))
		}
	}
	names, colours := make([]string, len(series)), make([]string, len(series))
	for i, s := range series {
		names[i], colours[i] = s.Name, seriesColour(i, s.Colour)
	}
	svgFooter(&b, groups, names, colours)
	return b.Bytes()
}

// formatTick prints a value with at most three significant digits.
func formatTick(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 10:
		return fmt.Sprintf("%.1f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.3g", v)
}
