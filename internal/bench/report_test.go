package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sampleResults() *Results {
	lr := func(ms ...float64) *LoadResult {
		d := make([]time.Duration, len(ms))
		for i, v := range ms {
			d[i] = time.Duration(v * float64(time.Millisecond))
		}
		return &LoadResult{Summary: Summarize(d, 0), Samples: ms, RPS: 10}
	}
	return &Results{
		Environment: Environment{Mode: "local", Profile: "quick", Cores: 2},
		Profile:     QuickProfile(),
		Functions: []*FunctionResult{{Name: "aes", Query: StudyInputs["aes"],
			Container: &VariantResult{Name: "aes", Size: &ArtifactSize{Total: 4000_000}, Deploy: lr(400, 600),
				SerialNoKeepAlive: lr(10, 10), Concurrent: lr(20)},
			Wasm: &VariantResult{Name: "aes-wasm", Wasm: true, Size: &ArtifactSize{Total: 2000_000}, Deploy: lr(100),
				SerialNoKeepAlive: lr(15, 15), Concurrent: lr(30), Errors: []string{"cold: boom"}}}},
		Notes: []string{"a note"},
	}
}

func TestMarkdown(t *testing.T) {
	md := Markdown(sampleResults(), "local", nil)
	tests := []struct{ name, want string }{
		{"serial ratio and study ratio", "| aes | 10.0 | 15.0 | 1.50× | 1.17× |"},
		{"deploy and size ratios", "| 500 | 100 | 0.20× | 4000 | 2000 | 0.50× |"},
		{"study mean beside ours", "| aes | aes-wasm | 15.00 |"},
		{"notes", "- a note"},
		{"variant errors", "- aes-wasm: cold: boom"},
		{"missing values as dashes", "| aes | aes | — |"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(md, tt.want) {
				t.Errorf("report lacks %q\n%s", tt.want, md)
			}
		})
	}
}

func TestWriteReport(t *testing.T) {
	dir := t.TempDir()
	files, err := WriteReport(dir, "local", sampleResults())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 8 {
		t.Fatalf("files = %q", files)
	}
	data, err := os.ReadFile(filepath.Join(dir, "local.json"))
	if err != nil {
		t.Fatal(err)
	}
	var back Results
	if err := json.Unmarshal(data, &back); err != nil || back.Functions[0].Wasm.Size.Total != 2000_000 {
		t.Errorf("JSON round trip: %v %+v", err, back.Functions)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".svg") {
			doc, _ := os.ReadFile(f)
			elements(t, doc)
		}
	}
}
