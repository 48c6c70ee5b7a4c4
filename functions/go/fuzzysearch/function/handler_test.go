package function

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func hamlet(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "hamlet.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHandle(t *testing.T) {
	text := hamlet(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hamlet.txt" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(text)
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		name       string
		url        string
		query      string
		wantStatus int
		wantSearch string
		wantBest   string
	}{
		{"study input", srv.URL + "/hamlet.txt", "search=Hamlet", 200, "Hamlet", "HAMLET."},
		{"default search", srv.URL + "/hamlet.txt", "", 200, "Hamlet", "HAMLET."},
		{"rare phrase", srv.URL + "/hamlet.txt", "search=Yorick", 200, "Yorick", "Alas, poor Yorick! I knew him, Horatio: a fellow"},
		{"missing text", srv.URL + "/nope", "", 502, "", ""},
		{"no url", "", "", 502, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("HAMLET_URL", tt.url)
			res, ok := handlertest.Get[Result](t, Handle, tt.query, tt.wantStatus)
			if !ok {
				return
			}
			if res.Search != tt.wantSearch || res.Matches == 0 || !strings.Contains(mustJSON(t, res.Best), tt.wantBest) {
				t.Errorf("result %+v, want a best match %q", res, tt.wantBest)
			}
		})
	}
}

func TestSearch(t *testing.T) {
	text := []byte("alpha\n\n  Hamlet speaks  \nham let\nnothing\n")
	got := Search("hamlet", text)
	if got.Lines != 4 || got.Matches != 2 {
		t.Fatalf("result %+v", got)
	}
	// Levenshtein distance ranks the shorter line first.
	if got.Best[0].Text != "ham let" || got.Best[0].Line != 4 || got.Best[1].Line != 3 {
		t.Errorf("best %+v", got.Best)
	}
	if none := Search("zzz", text); none.Matches != 0 || none.Best == nil || !strings.Contains(mustJSON(t, none), `"best": []`) {
		t.Errorf("no-match result %+v", none)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func BenchmarkSearch(b *testing.B) {
	text := hamlet(b)
	for b.Loop() {
		Search("Hamlet", text)
	}
}
