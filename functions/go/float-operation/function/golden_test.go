package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/golden"
)

// TestGolden checks the study's input, defaults and bad input against
// functions/rust/float-operation/testdata/golden.txt, which the Rust version
// (functions/rust/float-operation) is tested against too: the two answer byte for
// byte the same. Regenerate with go test -run Golden -update.
func TestGolden(t *testing.T) {
	golden.Check(t, "../../../rust/float-operation/testdata/golden.txt", Handle, []string{
		"n=10000000",
		"",
		"n=0",
		"n=1",
		"n=2",
		"n=3",
		"n=1000000",
		"n=123456789",
		"n=536870912",
		"n=536870913",
		"n=1073741824",
		"n=9007199254740991",
		"n=9007199254740992",
		"n=9007199254740993",
		"n=-1",
		"n=abc",
	})
}
