package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// elements parses doc as XML and counts its elements by name.
func elements(t *testing.T, doc []byte) map[string]int {
	t.Helper()
	counts := map[string]int{}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return counts
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
		}
	}
}

func TestBarChart(t *testing.T) {
	tests := []struct {
		name      string
		groups    []string
		series    []Series
		wantBars  int
		wantTexts []string
	}{
		{"two series", []string{"aes", "n-body"},
			[]Series{{"container", []float64{10, 20}, ""}, {"wasm", []float64{5, 0}, ""}}, 3, []string{"aes", "n-body", "wasm"}},
		{"escaping", []string{"a<b & c"}, []Series{{"x\"y", []float64{1}, ""}}, 1, []string{"a&lt;b &amp; c"}},
		{"four variants, own colours", []string{"aes"}, []Series{{"Go container", []float64{1}, "#000001"},
			{"Go Wasm", []float64{2}, "#000002"}, {"Rust container", []float64{3}, "#000003"}, {"Rust Wasm", []float64{4}, "#000004"}},
			4, []string{"Rust Wasm", `fill="#000004"`, `fill="#000001"`}},
		{"empty", nil, nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := BarChart("title <1>", "ms", tt.groups, tt.series)
			counts := elements(t, doc)
			// one background rect and one legend rect per series besides the bars
			if got := counts["rect"] - 1 - len(tt.series); got != tt.wantBars {
				t.Errorf("bars = %d, want %d\n%s", got, tt.wantBars, doc)
			}
			for _, s := range tt.wantTexts {
				if !strings.Contains(string(doc), s) {
					t.Errorf("missing %q", s)
				}
			}
		})
	}
}

func TestBoxPlot(t *testing.T) {
	tests := []struct {
		name      string
		series    []DistSeries
		wantBoxes int
	}{
		{"two variants", []DistSeries{{"container", [][]float64{{1, 2, 3}, {40, 50}}, ""}, {"wasm", [][]float64{{2, 3}, nil}, ""}}, 3},
		{"no samples", []DistSeries{{"container", [][]float64{nil, nil}, ""}}, 0},
		{"zero and tiny values", []DistSeries{{"wasm", [][]float64{{0, 0.01, 0.02}, {1000}}, ""}}, 2},
		{"four variants", []DistSeries{{"Go container", [][]float64{{1}, {2}}, ""}, {"Go Wasm", [][]float64{{1}, {2}}, ""},
			{"Rust container", [][]float64{{1}, nil}, ""}, {"Rust Wasm", [][]float64{{1}, {2}}, ""}}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := BoxPlot("latency", "ms", []string{"f1", "f2"}, tt.series)
			counts := elements(t, doc)
			if counts["g"] != tt.wantBoxes {
				t.Errorf("boxes = %d, want %d\n%s", counts["g"], tt.wantBoxes, doc)
			}
			if strings.Contains(string(doc), "NaN") || strings.Contains(string(doc), "Inf") {
				t.Errorf("non-finite coordinate:\n%s", doc)
			}
		})
	}
}

func TestNiceMax(t *testing.T) {
	tests := []struct{ in, want float64 }{{0, 1}, {0.7, 1}, {1, 1}, {1.5, 2}, {3, 5}, {7, 10}, {120, 200}, {-3, 1}}
	for _, tt := range tests {
		if got := niceMax(tt.in); got != tt.want {
			t.Errorf("niceMax(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestPlotsVariants checks that every plot shows one series per variant
// measured, each in its variant's colour with a legend entry.
func TestPlotsVariants(t *testing.T) {
	plots := Plots(sampleResults())
	if len(plots) != 7 {
		t.Fatalf("plots = %d", len(plots))
	}
	for _, p := range plots {
		doc := string(p.SVG)
		elements(t, p.SVG)
		for _, v := range Variants {
			c := variantColour(v)
			if !strings.Contains(doc, ">"+v.Title()+"</text>") {
				t.Errorf("%s: no legend entry %q", p.Name, v.Title())
			}
			if strings.Count(doc, `"`+c+`"`) < 2 {
				t.Errorf("%s: %s (%s) drawn fewer than twice (legend + data)", p.Name, v.Title(), c)
			}
		}
	}
	seen := map[string]bool{}
	for _, v := range Variants {
		if seen[variantColour(v)] {
			t.Errorf("%s shares its colour", v)
		}
		seen[variantColour(v)] = true
	}
}
