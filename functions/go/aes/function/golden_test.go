package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// TestGolden checks the study's input, defaults and bad input against
// functions/rust/aes/testdata/golden.txt, which the Rust version
// (functions/rust/aes) is tested against too: the two answer byte for
// byte the same. Regenerate with go test -run Golden -update.
func TestGolden(t *testing.T) {
	golden.Check(t, "../../../rust/aes/testdata/golden.txt", Handle, []string{
		"length=1000&iterations=100",
		"",
		"length=16&iterations=1&seed=7",
		"length=1&iterations=1&seed=0",
		"length=17&iterations=2&seed=1",
		"length=100000&iterations=3&seed=18446744073709551615",
		"length=0",
		"length=1048577",
		"iterations=x",
		"iterations=100001",
		"seed=-2",
		"seed=%2B3",
	})
}
