package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// TestGolden checks the study's input, defaults and bad input against
// functions/rust/matmul/testdata/golden.txt, which the Rust version
// (functions/rust/matmul) is tested against too: the two answer byte for
// byte the same. Regenerate with go test -run Golden -update.
func TestGolden(t *testing.T) {
	golden.Check(t, "../../../rust/matmul/testdata/golden.txt", Handle, []string{
		"dimensions=50",
		"",
		"dimensions=3&seed=5",
		"dimensions=1",
		"dimensions=200&seed=9",
		"dimensions=0",
		"dimensions=5000",
		"dimensions=abc",
	})
}
