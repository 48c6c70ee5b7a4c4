// Package function is the study's matmul function: the product of two random
// square matrices.
//
// Query: dimensions (default 50, at most 2000), seed (default
// params.DefaultSeed). The entries are uniform in [0, 1) from the SplitMix64
// generator of functions/internal/prng keyed by seed and the dimensions. The
// answer summarises the product (trace and sum, rounded to 6 significant
// digits) rather than printing it.
//
// The study used gonum; the product here is the plain triple loop (each
// entry summed over k in increasing order, in float64 without fused
// multiply-add), the same operations in the same order as the Rust version
// (functions/rust/matmul), so Go and Rust, native and Wasm, compute the same
// bits. gonum's assembly kernels sum in a different order.
package function

import (
	"net/http"
	"strconv"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
	"github.com/faas-wasm/faas-wasm/functions/internal/prng"
)

// Result is the answer of Handle.
type Result struct {
	Dimensions int64  `json:"dimensions"`
	Trace      string `json:"trace"`
	Sum        string `json:"sum"`
}

// Handle answers the JSON Result for the query's dimensions and seed.
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := params.Int(r, "dimensions", 50, 1, 2000)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	seed, err := params.Seed(r)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	params.JSON(w, Multiply(seed, int(n)))
}

// Multiply builds two seeded random n×n matrices and summarises their
// product: its trace (diagonal summed in row order) and the sum of all
// entries (row by row).
func Multiply(seed uint64, n int) Result {
	a, b := matrices(seed, n)
	c := product(a, b, n)
	var trace, sum float64
	for i := range n {
		trace += c[i*n+i]
		for _, v := range c[i*n : (i+1)*n] {
			sum += v
		}
	}
	return Result{
		Dimensions: int64(n),
		Trace:      strconv.FormatFloat(trace, 'g', 6, 64),
		Sum:        strconv.FormatFloat(sum, 'g', 6, 64),
	}
}

// matrices returns the two row-major n×n matrices for seed: A's entries,
// then B's, drawn row by row.
func matrices(seed uint64, n int) (a, b []float64) {
	rng := prng.NewStream(seed, uint64(n))
	random := func() []float64 {
		m := make([]float64, n*n)
		for i := range m {
			m[i] = rng.Float64()
		}
		return m
	}
	a = random()
	b = random()
	return a, b
}

// product returns A·B (row-major n×n). Loop order i, k, j: each c[i][j]
// starts at 0 and adds a[i][k]·b[k][j] for k = 0, 1, …, n-1 in turn; the
// conversion rounds the product, so no target fuses it into an FMA.
func product(a, b []float64, n int) []float64 {
	c := make([]float64, n*n)
	for i := range n {
		ci := c[i*n : (i+1)*n]
		for k := range n {
			aik := a[i*n+k]
			bk := b[k*n : (k+1)*n]
			for j := range n {
				ci[j] += float64(aik * bk[j]) // no fused multiply-add
			}
		}
	}
	return c
}
