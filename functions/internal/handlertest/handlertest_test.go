package handlertest

import (
	"fmt"
	"net/http"
	"testing"
)

type answer struct {
	N string `json:"n"`
}

// echo answers {"n": <query n>} with 200, 400 without n, and a body that is
// not JSON for n=raw.
func echo(w http.ResponseWriter, r *http.Request) {
	n := r.URL.Query().Get("n")
	switch n {
	case "":
		http.Error(w, "no n", http.StatusBadRequest)
	case "raw":
		fmt.Fprint(w, "not json")
	default:
		fmt.Fprintf(w, `{"n": %q}`, n)
	}
}

// recorder is a testing.TB that records whether the helper failed.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Fatalf(string, ...any) { r.failed = true; panic(r) }
func (r *recorder) Helper()               {}

// run calls f with a recorder and reports whether it failed.
func run(t *testing.T, f func(tb testing.TB)) bool {
	rec := &recorder{TB: t}
	func() {
		defer func() {
			if p := recover(); p != nil && p != rec {
				panic(p)
			}
		}()
		f(rec)
	}()
	return rec.failed
}

func TestGet(t *testing.T) {
	tests := []struct {
		query      string
		wantStatus int
		wantFail   bool
		wantOK     bool
		wantN      string
	}{
		{"n=7", 200, false, true, "7"},
		{"", 400, false, false, ""},
		{"n=7", 400, true, false, ""},
		{"", 200, true, false, ""},
		{"n=raw", 200, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s_%d", tt.query, tt.wantStatus), func(t *testing.T) {
			var res answer
			var ok bool
			failed := run(t, func(tb testing.TB) { res, ok = Get[answer](tb, echo, tt.query, tt.wantStatus) })
			if failed != tt.wantFail || ok != tt.wantOK || res.N != tt.wantN {
				t.Fatalf("failed %v ok %v res %+v, want failed %v ok %v n %q", failed, ok, res, tt.wantFail, tt.wantOK, tt.wantN)
			}
		})
	}
}

// Run calls check once per 200 case, with that case's Want and the answer.
func TestRun(t *testing.T) {
	var checked []string
	Run(t, echo, []Case[string]{
		{"n=1", 200, "1"},
		{"", 400, "unused"},
		{"n=22", 200, "22"},
	}, func(t *testing.T, want string, got answer) {
		if got.N != want {
			t.Errorf("n = %q, want %q", got.N, want)
		}
		checked = append(checked, want)
	})
	if len(checked) != 2 || checked[0] != "1" || checked[1] != "22" {
		t.Fatalf("checked %v, want [1 22]", checked)
	}
}
