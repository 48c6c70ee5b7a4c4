package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// TestGolden checks the study's input, defaults and bad input against
// functions/rust/prime-numbers/testdata/golden.txt, which the Rust version
// (functions/rust/prime-numbers) is tested against too: the two answer byte for
// byte the same. Regenerate with go test -run Golden -update.
func TestGolden(t *testing.T) {
	golden.Check(t, "../../../rust/prime-numbers/testdata/golden.txt", Handle, []string{
		"n=100",
		"",
		"n=0",
		"n=1",
		"n=2",
		"n=97",
		"n=10000",
		"n=-5",
		"n=100000000",
		"n=1e3",
	})
}
