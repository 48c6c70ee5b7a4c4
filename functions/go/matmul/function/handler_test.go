package function

import (
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

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

// TestMultiplyAgainstNaive compares gonum's product with a triple loop over
// the same seeded matrices.
func TestMultiplyAgainstNaive(t *testing.T) {
	const n = 20
	got := Multiply(3, n)
	a, b := matrices(3, n)
	var trace, sum float64
	for i := range n {
		for j := range n {
			var c float64
			for k := range n {
				c += a.At(i, k) * b.At(k, j)
			}
			sum += c
			if i == j {
				trace += c
			}
		}
	}
	for _, c := range []struct {
		got  string
		want float64
	}{{got.Trace, trace}, {got.Sum, sum}} {
		v, err := strconv.ParseFloat(c.got, 64)
		if err != nil || math.Abs(v-c.want) > 1e-5*c.want {
			t.Errorf("got %s, want %v", c.got, c.want)
		}
	}
}

func matrices(seed uint64, n int) (*mat.Dense, *mat.Dense) {
	rng := newRNG(seed, n)
	return random(rng, n), random(rng, n)
}

func BenchmarkMultiply(b *testing.B) {
	for b.Loop() {
		Multiply(42, 50)
	}
}
