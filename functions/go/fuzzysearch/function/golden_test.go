package function

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// goldenQueries are the study's input and more; the Rust version is tested
// against the same file (functions/rust/fuzzysearch/tests).
var goldenQueries = []string{
	"search=Hamlet", "", "search=", "search=Yorick", "search=to+be+or+not", "search=Ophelia",
	"search=king", "search=Denmark", "search=ghost", "search=HORATIO", "search=O",
	"search=xyzzy", "search=%3Cb%3E+%26", "search=caf%C3%A9", "search=%E2%82A", "search=a&search=b",
}

func TestGolden(t *testing.T) {
	text := hamlet(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(text) }))
	t.Cleanup(srv.Close)
	t.Setenv("HAMLET_URL", srv.URL+"/hamlet.txt")
	golden.Check(t, filepath.Join("..", "..", "..", "testdata", "fuzzysearch", "golden.txt"), Handle, goldenQueries)
}
