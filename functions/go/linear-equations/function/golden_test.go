package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// TestGolden checks the study's input, defaults and bad input against
// functions/rust/linear-equations/testdata/golden.txt, which the Rust version
// (functions/rust/linear-equations) is tested against too: the two answer byte for
// byte the same. Regenerate with go test -run Golden -update.
func TestGolden(t *testing.T) {
	golden.Check(t, "../../../rust/linear-equations/testdata/golden.txt", Handle, []string{
		"unknowns=128",
		"",
		"unknowns=2&seed=1",
		"unknowns=1",
		"unknowns=10&seed=3",
		"unknowns=500&seed=11",
		"unknowns=0",
		"unknowns=99999",
		"seed=x",
	})
}
