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

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr bool
		check   func(Config) bool
	}{
		{"defaults are local", nil, false, func(c Config) bool { return c.Local && c.Mode == "local" && c.Profile().Name == "full" }},
		{"gateway is kubernetes", []string{"--gateway", "http://x:8080"}, false, func(c Config) bool { return !c.Local && c.Mode == "kubernetes" }},
		{"quick subset", []string{"--quick"}, false, func(c Config) bool { return len(c.Profile().Functions) == len(QuickFunctions) }},
		{"functions override", []string{"--quick", "--functions", "aes, n-body"}, false,
			func(c Config) bool { return strings.Join(c.Profile().Functions, ",") == "aes,n-body" }},
		{"overrides", []string{"--deploy-rounds", "2", "--concurrent-duration", "10s"}, false,
			func(c Config) bool {
				p := c.Profile()
				return p.DeployRounds == 2 && p.Concurrent.MaxDuration == 10*time.Second
			}},
		{"node containerd and notes", []string{"--gateway", "http://x", "--containerd-socket", "/run/c.sock", "--provider-pid", "42", "--note", "a", "--note", "b"}, false,
			func(c Config) bool {
				return c.ContainerdSocket == "/run/c.sock" && c.ProviderPID == 42 && strings.Join(c.Notes, "|") == "a|b"
			}},
		{"provider pid needs gateway", []string{"--provider-pid", "42"}, true, nil},
		{"containerd socket needs gateway", []string{"--containerd-socket", "/run/c.sock"}, true, nil},
		{"local and gateway", []string{"--local", "--gateway", "http://x"}, true, nil},
		{"bad variants", []string{"--variants", "rust"}, true, nil},
		{"stray argument", []string{"extra"}, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseFlags(tt.args, new(strings.Builder))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("config %+v", c)
			}
		})
	}
}
