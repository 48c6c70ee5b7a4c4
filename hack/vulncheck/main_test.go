package main

import (
	"strings"
	"testing"
)

// stream is a trimmed govulncheck JSON stream: one called module
// vulnerability with a fix, one stdlib, one without a fix, and one only
// imported (no function in its trace).
const stream = `{"config":{"scanner_name":"govulncheck"}}
{"osv":{"id":"GO-1","summary":"bad compress"}}
{"osv":{"id":"GO-2","summary":"bad http"}}
{"osv":{"id":"GO-3","summary":"bad cri"}}
{"osv":{"id":"GO-4","summary":"not called"}}
{"finding":{"osv":"GO-1","fixed_version":"v1.20.2","trace":[{"module":"github.com/k/compress","version":"v1.19.2","function":"Decode"}]}}
{"finding":{"osv":"GO-1","fixed_version":"v1.20.2","trace":[{"module":"github.com/k/compress","version":"v1.19.2","function":"Encode"}]}}
{"finding":{"osv":"GO-2","fixed_version":"v1.26.9","trace":[{"module":"stdlib","version":"v1.26.8","function":"Serve"}]}}
{"finding":{"osv":"GO-3","trace":[{"module":"github.com/c/containerd","version":"v1.7.36","function":"Restore"}]}}
{"finding":{"osv":"GO-4","fixed_version":"v2","trace":[{"module":"github.com/x/y","version":"v1"}]}}
`

func TestParseAndClassify(t *testing.T) {
	fs, err := ParseFindings([]byte(stream))
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 3 {
		t.Fatalf("findings %+v, want GO-1..3 once each (GO-4 is not called)", fs)
	}
	r := Classify(fs)
	if len(r.Upgrade) != 1 || r.Upgrade[0].ID != "GO-1" || r.Upgrade[0].Summary != "bad compress" {
		t.Errorf("upgrade %+v", r.Upgrade)
	}
	if len(r.Toolchain) != 1 || r.Toolchain[0].ID != "GO-2" || len(r.NoFix) != 1 || r.NoFix[0].ID != "GO-3" {
		t.Errorf("toolchain %+v no fix %+v", r.Toolchain, r.NoFix)
	}
	if !r.Fails(false) {
		t.Error("a reachable vulnerability with a module fix must fail the audit")
	}
	if (Report{Toolchain: r.Toolchain, NoFix: r.NoFix}).Fails(false) {
		t.Error("stdlib and unfixed findings fail only with -strict")
	}
	if !(Report{NoFix: r.NoFix}).Fails(true) {
		t.Error("-strict fails on unfixed findings")
	}
	var b strings.Builder
	r.Write(&b, "db")
	if !strings.Contains(b.String(), "GO-1  github.com/k/compress@v1.19.2  fixed: v1.20.2") || !strings.Contains(b.String(), "fixed: none") {
		t.Errorf("report:\n%s", b.String())
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	if _, err := ParseFindings([]byte(`{"finding": [`)); err == nil {
		t.Fatal("want an error for a broken stream")
	}
}

func FuzzParseFindings(f *testing.F) {
	f.Add([]byte(stream))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := ParseFindings(b)
		if err == nil {
			Classify(fs)
		}
	})
}
