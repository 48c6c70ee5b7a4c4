// Package function is the study's matmul function: the product of two random
// square matrices, computed with gonum.
//
// Query: dimensions (default 50, at most 2000), seed (default
// params.DefaultSeed). The entries are uniform in [0, 1) from a PCG
// generator seeded with seed. The answer summarises the product (trace and
// sum, rounded to 6 significant digits) rather than printing it, so that the
// native build (gonum's assembly kernels) and the Wasm build (pure Go) agree
// as text.
package function

import (
	"math/rand/v2"
	"net/http"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
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
// product.
func Multiply(seed uint64, n int) Result {
	rng := newRNG(seed, n)
	a := random(rng, n)
	b := random(rng, n)
	var c mat.Dense
	c.Mul(a, b)
	return Result{
		Dimensions: int64(n),
		Trace:      strconv.FormatFloat(mat.Trace(&c), 'g', 6, 64),
		Sum:        strconv.FormatFloat(mat.Sum(&c), 'g', 6, 64),
	}
}

// newRNG returns the generator of the matrices for seed and size n.
func newRNG(seed uint64, n int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(n)))
}

func random(rng *rand.Rand, n int) *mat.Dense {
	data := make([]float64, n*n)
	for i := range data {
		data[i] = rng.Float64()
	}
	return mat.NewDense(n, n, data)
}
