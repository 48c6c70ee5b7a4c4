package golden

import (
	"flag"
	"net/http"
	"net/http/httptest"
	"testing"
)

// update makes Check rewrite golden files from the handler's answers.
var update = flag.Bool("update", false, "rewrite the golden files from the Go handlers' answers")

// Check sends GET /?QUERY to h for every query and compares status and body
// with the golden file at path; with -update it writes the file instead
// (the Rust tests then check the Rust version against it).
func Check(t *testing.T, path string, h http.HandlerFunc, queries []string) {
	t.Helper()
	got := make([]Case, 0, len(queries))
	for _, q := range queries {
		rec := httptest.NewRecorder()
		h(rec, httptest.NewRequest(http.MethodGet, "/?"+q, nil))
		got = append(got, Case{Query: q, Status: rec.Code, Body: rec.Body.String()})
	}
	if *update {
		if err := Write(path, got); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := Read(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if len(want) != len(got) {
		t.Fatalf("%s has %d cases, the test %d: run go test -run Golden -update", path, len(want), len(got))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("query %q: got %d %q, golden %d %q", got[i].Query, got[i].Status, got[i].Body, want[i].Status, want[i].Body)
		}
	}
}
