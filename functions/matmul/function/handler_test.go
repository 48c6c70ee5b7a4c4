package function

import (
	"math"
	"strconv"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		query      string
		wantStatus int
		wantDim    int64
	}{
		{"dimensions=50", 200, 50},
		{"", 200, 50},
		{"dimensions=3&seed=5", 200, 3},
		{"dimensions=0", 400, 0},
		{"dimensions=5000", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, ok := handlertest.Get[Result](t, Handle, tt.query, tt.wantStatus)
			if !ok {
				return
			}
			if res.Dimensions != tt.wantDim || res.Trace == "" || res.Sum == "" {
				t.Errorf("result %+v", res)
			}
		})
	}
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
