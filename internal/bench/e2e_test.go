package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/builder"
)

// TestQuickLocalEndToEnd builds faas-wasm and faas-wasm-tools side by side
// and runs `faas-wasm bench --quick` (which runs faas-wasm-tools bench)
// in local mode on one function with tiny bounds, then checks that the
// report, the JSON and the plots are complete and well-formed (not the
// timings).
func TestQuickLocalEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and the function images")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "faas-wasm")
	for _, cmd := range []string{"faas-wasm", "faas-wasm-tools"} {
		build := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "github.com/faas-wasm/faas-wasm/cmd/"+cmd)
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", cmd, err, out)
		}
	}
	out := filepath.Join(dir, "report")
	cmd := exec.CommandContext(t.Context(), bin, "bench", "--quick", "--functions", "prime-numbers", "-f", "../../stack.yml",
		"--out", out, "--deploy-rounds", "1", "--cold-rounds", "1", "--serial-duration", "500ms",
		"--concurrent-duration", "1s", "--max-duration", "500ms")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = time.Minute
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("bench: %v\nstderr:\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "[1/") {
		t.Errorf("no progress on stderr:\n%s", stderr.String())
	}
	files := strings.Fields(stdout.String())
	if len(files) != 9 {
		t.Fatalf("files written = %q, want json + md + 7 plots", files)
	}

	data, err := os.ReadFile(filepath.Join(out, "local-quick.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res Results
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("JSON: %v", err)
	}
	e := res.Environment
	if e.Mode != "local" || e.Profile != "quick" || e.Cores == 0 || e.Kernel == "" || e.Commit == "" || e.Finished == "" || e.Provider == "" {
		t.Errorf("environment incomplete: %+v", e)
	}
	if len(res.Functions) != 1 || res.Functions[0].Name != "prime-numbers" {
		t.Fatalf("functions = %+v", res.Functions)
	}
	f := res.Functions[0]
	check := func(v *VariantResult) {
		t.Helper()
		if len(v.Errors) > 0 {
			t.Errorf("%s: errors %q", v.Name, v.Errors)
		}
		if v.Size == nil || v.Size.Total <= 0 || v.FirstDeployMs <= 0 {
			t.Errorf("%s: size %+v, first deploy %v", v.Name, v.Size, v.FirstDeployMs)
		}
		for phase, l := range map[string]*LoadResult{"deploy": v.Deploy, "cold": v.Cold, "serial off": v.SerialNoKeepAlive,
			"serial on": v.SerialKeepAlive, "concurrent": v.Concurrent, "max": v.Max} {
			if l == nil || l.N == 0 || l.P50 <= 0 || len(l.Samples) == 0 {
				t.Errorf("%s: %s missing: %+v", v.Name, phase, l)
			}
		}
		if v.Concurrent != nil && (v.Concurrent.Usage == nil || v.Concurrent.Usage.Provider == nil) {
			t.Errorf("%s: no usage during the concurrent phase", v.Name)
		}
	}
	// every variant the stack has for prime-numbers (Go and, once listed,
	// Rust; containers when containerd runs here)
	stack, err := builder.LoadStack("../../stack.yml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanStack(stack, []string{"prime-numbers"}, Selection{Container: true, Wasm: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, pv := range plan.Functions[0].Variants {
		v := f.Variant(pv.Variant)
		switch {
		case v != nil:
			if v.Name != pv.Name || v.Language != pv.Language || v.Kind != pv.Kind {
				t.Errorf("%s: result %s %s/%s", pv.Name, v.Name, v.Language, v.Kind)
			}
			check(v)
		case pv.Wasm():
			t.Errorf("no %s result (%s)", pv.Title(), pv.Name)
		case !strings.Contains(strings.Join(res.Notes, " "), "container variants"):
			t.Errorf("%s missing without a note: %q", pv.Name, res.Notes)
		}
	}
	if len(f.Variants) == 0 {
		t.Fatal("no result")
	}

	md, err := os.ReadFile(filepath.Join(out, "local-quick.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"## Headline", "## Artifact size", "## Deploy → first 200", "## First request after scale to zero",
		"## Serial latency, keep-alive off", "## Serial latency, keep-alive on", "## Concurrent load", "## Max throughput",
		"## CPU and memory", "| prime-numbers |", "| Kernel |", "## Ratios (this run)"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("report lacks %q", want)
		}
	}
	for _, name := range files {
		if filepath.Ext(name) != ".svg" {
			continue
		}
		if !strings.Contains(string(md), "("+filepath.Base(name)+")") {
			t.Errorf("report does not show %s", filepath.Base(name))
		}
		doc, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if n := elements(t, doc)["svg"]; n != 1 {
			t.Errorf("%s: %d svg elements", name, n)
		}
	}
}
