package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// TestGolden checks the study's input, defaults and bad input against
// functions/rust/n-body/testdata/golden.txt, which the Rust version
// (functions/rust/n-body) is tested against too: the two answer byte for
// byte the same. Regenerate with go test -run Golden -update.
func TestGolden(t *testing.T) {
	golden.Check(t, "../../../rust/n-body/testdata/golden.txt", Handle, []string{
		"",
		"n=0",
		"n=1",
		"n=1000",
		"n=100000",
		"n=x",
		"n=-1",
		"n=50000001",
	})
}
