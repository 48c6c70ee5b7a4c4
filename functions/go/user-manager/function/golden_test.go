package function

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// TestGolden records (with -update) or checks the answers the Rust version
// (functions/rust/user-manager) is tested against too.
func TestGolden(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("USER_API_URL", srv.URL+"/users")
	queries := []string{
		"entries=1", "", "entries=3&seed=9", "entries=5&seed=0", "entries=2&seed=18446744073709551615",
		"entries=0", "entries=1001", "entries=x", "seed=-1", "seed=abc&entries=2",
	}
	golden.Check(t, filepath.Join("..", "..", "..", "testdata", "user-manager", "golden.txt"), Handle, queries)
}
