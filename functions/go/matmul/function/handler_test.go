package function

import (
	"math"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	handlertest.Run(t, Handle, []handlertest.Case[int64]{
		{Query: "dimensions=50", Status: 200, Want: 50},
		{Query: "", Status: 200, Want: 50},
		{Query: "dimensions=3&seed=5", Status: 200, Want: 3},
		{Query: "dimensions=0", Status: 400},
		{Query: "dimensions=5000", Status: 400},
	}, func(t *testing.T, wantDim int64, res Result) {
		if res.Dimensions != wantDim || res.Trace == "" || res.Sum == "" {
			t.Errorf("result %+v", res)
		}
	})
}

// TestProductAgainstNaive checks product's i-k-j loop against the i-j-k dot
// products: the same additions in the same order, so the same bits.
func TestProductAgainstNaive(t *testing.T) {
	const n = 20
	a, b := matrices(3, n)
	c := product(a, b, n)
	for i := range n {
		for j := range n {
			var want float64
			for k := range n {
				want += float64(a[i*n+k] * b[k*n+j])
			}
			if math.Float64bits(c[i*n+j]) != math.Float64bits(want) {
				t.Fatalf("c[%d][%d] = %v, want %v", i, j, c[i*n+j], want)
			}
		}
	}
}

func BenchmarkMultiply(b *testing.B) {
	for b.Loop() {
		Multiply(42, 50)
	}
}
