package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// lr is a synthetic load result of the samples ms.
func lr(ms ...float64) *LoadResult {
	d := make([]time.Duration, len(ms))
	for i, v := range ms {
		d[i] = time.Duration(v * float64(time.Millisecond))
	}
	return &LoadResult{Summary: Summarize(d, 0), Samples: ms, RPS: 10}
}

// withRPS sets l's throughput.
func withRPS(l *LoadResult, rps float64) *LoadResult { l.RPS = rps; return l }

// sampleResults has aes in all four variants (Rust Wasm with an error)
// and matmul in Go only.
func sampleResults() *Results {
	v := func(name, lang, kind string, kb, first float64, deployMs, coldMs, serialMs, concMs, maxRPS float64) *VariantResult {
		return &VariantResult{Name: name, Language: lang, Kind: kind, Wasm: kind == KindWasm,
			Size: &ArtifactSize{Total: int64(kb * 1000)}, FirstDeployMs: first, Deploy: lr(deployMs, deployMs),
			Cold: lr(coldMs), SerialNoKeepAlive: lr(serialMs, serialMs), SerialKeepAlive: lr(serialMs / 2), Concurrent: lr(concMs), Max: withRPS(lr(serialMs), maxRPS)}
	}
	aes := []*VariantResult{
		v("aes", "go", KindContainer, 4000, 300, 500, 200, 10, 20, 1000),
		v("aes-wasm", "go", KindWasm, 2000, 2000, 100, 4, 15, 30, 500),
		v("aes-rs", "rust", KindContainer, 1000, 250, 400, 180, 8, 16, 1200),
		v("aes-rs-wasm", "rust", KindWasm, 80, 200, 50, 2, 8.8, 17.6, 1800),
	}
	aes[3].Errors = []string{"cold: boom"}
	aes[0].SerialNoKeepAlive, aes[0].Concurrent = lr(10, 10), lr(20)
	return &Results{
		Environment: Environment{Mode: "local", Profile: "quick", Cores: 2},
		Profile:     QuickProfile(),
		Functions: []*FunctionResult{
			{Name: "aes", Query: StudyInputs["aes"], Variants: aes},
			{Name: "matmul", Query: StudyInputs["matmul"], Variants: []*VariantResult{
				v("matmul", "go", KindContainer, 2600, 300, 200, 200, 1, 2, 900),
				{Name: "matmul-wasm", Wasm: true}, // written before the language dimension: Go Wasm
			}},
		},
		Notes: []string{"a note"},
	}
}

func TestMarkdown(t *testing.T) {
	r := sampleResults()
	// The Go Wasm image carries a 7000 KB precompiled layer: its size is the
	// rest, the layer has a column of its own.
	r.Functions[0].Variants[1].Size = &ArtifactSize{Total: 9_000_000, Precompiled: 7_000_000}
	md := Markdown(r, "local", nil)
	tests := []struct{ name, want string }{
		{"headline: four variants", "| aes | Rust Wasm | 80 | 200 | 50 | 2.0 | 8.80 | 17.60 | 1800 |"},
		{"headline: Go container", "| aes | Go container | 4000 | 300 | 500 | 200.0 | 10.00 | 20.00 | 1000 |"},
		{"Rust W/C ratios", "| aes | 0.08× | 0.80× | 0.12× | 0.01× | 1.10× | 1.10× | 1.50× | 1.17× | 1.19× | 12.5× |"},
		{"Go W/C ratios", "| aes | 0.50× | 6.67× | 0.20× | 0.02× | 1.50× | 1.50× | 0.50× | 1.17× | 1.19× | 2.0× |"},
		{"Rust Wasm / Go container", "| aes | 0.02× | 0.67× | 0.10× | 0.01× | 0.88× | 0.88× | 1.80× | 1.17× | 1.19× | 50.0× |"},
		{"study row", "| study | — | — | 0.48× | — | 0.95–1.28× | 1.15–1.30× | — |  |  | 65–75× |"},
		{"range over functions", "| range | 0.50× |"},
		{"language column", "| aes | Rust | wasm | aes-rs-wasm | 8.80 |"},
		{"old results are Go", "| matmul | Go | wasm | matmul-wasm |"},
		{"same-language ratio in sections", "| aes | Rust | wasm | aes-rs-wasm | 200 | 50.0 |"},
		{"size: × smaller than the Go container", "| aes | Rust | wasm | aes-rs-wasm | 80 | — | 0.08× | 50.0× |"},
		{"size without the precompiled layer", "| aes | Go Wasm | 2000 | 2000 |"},
		{"precompiled layer apart", "| aes | Go | wasm | aes-wasm | 2000 | 7000 | 0.50× | 2.0× |"},
		{"study mean beside ours", "| aes | Go | wasm | aes-wasm | 15.00 | 15.00 | 15.00 | — | 10.0 | 2 | — | 60.3 | 1.50× |"},
		{"notes", "- a note"},
		{"variant errors", "- aes-rs-wasm: cold: boom"},
		{"missing values as dashes", "| matmul | Go | wasm | matmul-wasm | — |"},
		{"variant usage rows", "| aes | Rust | container | aes-rs | — |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(md, tt.want) {
				t.Errorf("report lacks %q\n%s", tt.want, md)
			}
		})
	}
	// matmul lacks the Rust variants: no row of its own in the Rust tables
	rust := md[strings.Index(md, "### Rust Wasm / Rust container"):strings.Index(md, "### Go Wasm / Go container")]
	if strings.Contains(rust, "| matmul |") {
		t.Errorf("Rust ratios list matmul:\n%s", rust)
	}
}

func TestComputeRatios(t *testing.T) {
	r := sampleResults()
	rows := ComputeRatios(r, Comparisons[0])
	if len(rows) != 1 || rows[0].Function != "aes" || len(rows[0].Ratios) != len(ratioMetrics) {
		t.Fatalf("rows = %+v", rows)
	}
	want := []float64{0.08, 0.8, 0.125, 2.0 / 180, 1.1, 1.1, 1.5}
	for i, w := range want {
		if g := rows[0].Ratios[i]; g < w*0.999 || g > w*1.001 {
			t.Errorf("%s = %v, want %v", ratioMetrics[i].name, g, w)
		}
	}
	if rows := ComputeRatios(r, Comparisons[1]); len(rows) != 2 || rows[1].Ratios[0] != 0 {
		t.Errorf("Go rows = %+v (matmul-wasm has no values: zeros)", rows)
	}
	if got := ratioRange([]float64{0, 0.5, 0.25}); got != "0.25–0.50×" {
		t.Errorf("ratioRange = %q", got)
	}
	if got := ratioRange([]float64{0.0044, 0.02}); got != "0.0044–0.02×" {
		t.Errorf("ratioRange of a tiny ratio = %q", got)
	}
	if got := ratioRange(nil); got != "—" {
		t.Errorf("empty ratioRange = %q", got)
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	files, err := WriteReport(dir, "local", sampleResults())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2+len(Plots(sampleResults())) || len(files) != 9 {
		t.Fatalf("files = %q, want json + md + 7 plots", files)
	}
	data, err := os.ReadFile(filepath.Join(dir, "local.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	rw := back.Functions[0].Variant(Variant{"rust", KindWasm})
	if rw == nil || rw.Size.Total != 80_000 || rw.Name != "aes-rs-wasm" {
		t.Errorf("JSON round trip: %+v", back.Functions[0].Variants)
	}
	for _, key := range []string{`"language":"rust","kind":"wasm"`, `"language":"go","kind":"container"`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "local.md"))
	for _, f := range files {
		if strings.HasSuffix(f, ".svg") {
			doc, _ := os.ReadFile(f)
			elements(t, doc)
			if !strings.Contains(string(md), "("+filepath.Base(f)+")") {
				t.Errorf("report does not show %s", filepath.Base(f))
			}
		}
	}
}

// TestSummary: the summary table gives per variant the median over the
// functions, Wasm / container per language and, on Kubernetes, issue 17's
// targets judged on this run.
func TestSummary(t *testing.T) {
	r := sampleResults()
	r.Environment.Mode = "kubernetes"
	for i, unique := range []float64{5, 14, 5, 4} {
		r.Functions[0].Variants[i].PodMemory = &PodMemory{Pods: 2, PSSBytes: (unique + 1) * mib, UniqueBytes: unique * mib, RSSBytes: 20 * mib}
	}
	md := Markdown(r, "kubernetes", nil)
	for _, want := range []string{
		"| measure | Go container | Go Wasm | Go W/C | Rust container | Rust Wasm | Rust W/C | study | target (issue 17) |",
		"| deploy → first 200, image digest cached (ms) | 350 | 100 | 0.20× | 400 | 50 | 0.12× | Wasm 824, OpenFaaS 1721 ms (pod created → started): 0.48× | Wasm ≤ 100 ms: Go met, Rust met |",
		"| deploy → first 200, new digest (ms) | 300 | 2000 | 6.67× | 250 | 200 | 0.80× | — | Wasm ≤ the container's deploy (cached, row above): Go not met, Rust met |",
		"| max throughput (req/s) | 950 | 500 | 0.50× | 1200 | 1800 | 1.50× | — | W/C ≥ 0.5 Go, ≥ 1.0 Rust: Go met, Rust met |",
		"| unique memory per pod (MiB) | 5.0 | 14.0 | 2.80× | 5.0 | 4.0 | 0.80× | — | Wasm ≤ container: Go not met, Rust met |",
		"| serial, keep-alive off (mean ms) | 5.50 | 15.00 | 1.50× | 8.00 | 8.80 | 1.10× | W/C 0.95–1.28× | — |",
		"## Memory per pod",
		"| aes | Go | wasm | aes-wasm | 2 | 15.00 | 14.00 | 20.00 | 2.80× |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q\n%s", want, md)
		}
	}
	if local := Markdown(sampleResults(), "local", nil); strings.Contains(local, "target (issue 17)") || strings.Contains(local, "## Memory per pod") {
		t.Error("a local report shows Kubernetes targets or a memory-per-pod section without pods")
	}
}
