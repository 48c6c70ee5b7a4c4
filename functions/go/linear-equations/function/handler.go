// Package function is the study's linear-equations function: it solves a
// random, well-conditioned system A·x = b of the given size by LU
// decomposition with partial pivoting and checks the solution.
//
// Query: unknowns (default 128, at most 2000), seed (default
// params.DefaultSeed). A is random with a dominant diagonal and the true x is
// known, so the answer reports whether every component is within 1e-8 of it,
// together with the first solution components rounded to 6 decimals.
//
// The study used gonum (LAPACK's dgetrf/dgetrs); this is the textbook
// algorithm written out, the same operations in the same order as the Rust
// version (functions/rust/linear-equations), without fused multiply-add, so
// Go and Rust, native and Wasm, compute the same bits.
package function

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
	"github.com/faas-wasm/faas-wasm/functions/internal/prng"
)

// tolerance is the largest error accepted against the true solution.
const tolerance = 1e-8

// errSingular is returned by solve for a matrix with a zero pivot.
var errSingular = errors.New("matrix is singular")

// Result is the answer of Handle.
type Result struct {
	Unknowns int64    `json:"unknowns"`
	Solved   bool     `json:"solved"`
	First    []string `json:"first"`
}

// Handle answers the JSON Result for the query's unknowns and seed.
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := params.Int(r, "unknowns", 128, 1, 2000)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	seed, err := params.Seed(r)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	res, err := Solve(seed, int(n))
	if err != nil {
		params.Error(w, http.StatusInternalServerError, err)
		return
	}
	params.JSON(w, res)
}

// Solve builds a seeded random system of n unknowns, solves it and compares
// the solution with the true one.
//
// Draws, from prng.NewStream(seed, n): A row by row, uniform in [-1, 1),
// with n added to each diagonal entry; then the true x, uniform in
// [-100, 100). b = A·x with each row summed left to right.
func Solve(seed uint64, n int) (Result, error) {
	rng := prng.NewStream(seed, uint64(n))
	a := make([]float64, n*n)
	for i := range n {
		for j := range n {
			a[i*n+j] = rng.Float64()*2 - 1
		}
		a[i*n+i] += float64(n)
	}
	want := make([]float64, n)
	for i := range want {
		want[i] = float64(rng.Float64()*200) - 100
	}
	b := make([]float64, n)
	for i := range n {
		var s float64
		for j := range n {
			s += float64(a[i*n+j] * want[j])
		}
		b[i] = s
	}
	x, err := solve(a, b, n)
	if err != nil {
		return Result{}, fmt.Errorf("solve %d unknowns: %w", n, err)
	}
	res := Result{Unknowns: int64(n), Solved: true}
	for i := range n {
		if math.Abs(x[i]-want[i]) > tolerance {
			res.Solved = false
		}
		if i < 5 {
			res.First = append(res.First, strconv.FormatFloat(x[i], 'f', 6, 64))
		}
	}
	return res, nil
}

// solve returns x with A·x = b for the row-major n×n A, which it overwrites
// with its LU factors. Column by column (k = 0 … n-1): the pivot is the
// first row i ≥ k of largest |a[i][k]|, rows k and pivot swap (in A and b),
// and each row i > k gets l = a[i][k]/a[k][k] and a[i][j] -= l·a[k][j] for
// j > k (and b[i] -= l·b[k]). Back substitution then runs from the last row
// up: x[i] = (b[i] - Σ_{j>i} a[i][j]·x[j], summed with increasing j) / a[i][i].
func solve(a, b []float64, n int) ([]float64, error) {
	b = append([]float64(nil), b...)
	for k := range n {
		p := k
		for i := k + 1; i < n; i++ {
			if math.Abs(a[i*n+k]) > math.Abs(a[p*n+k]) {
				p = i
			}
		}
		if a[p*n+k] == 0 {
			return nil, errSingular
		}
		if p != k {
			for j := range n {
				a[k*n+j], a[p*n+j] = a[p*n+j], a[k*n+j]
			}
			b[k], b[p] = b[p], b[k]
		}
		pivot := a[k*n+k]
		rowK := a[k*n : (k+1)*n]
		for i := k + 1; i < n; i++ {
			rowI := a[i*n : (i+1)*n]
			l := rowI[k] / pivot
			rowI[k] = l
			for j := k + 1; j < n; j++ {
				rowI[j] -= float64(l * rowK[j]) // no fused multiply-add
			}
			b[i] -= float64(l * b[k])
		}
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := b[i]
		for j := i + 1; j < n; j++ {
			s -= float64(a[i*n+j] * x[j])
		}
		x[i] = s / a[i*n+i]
	}
	return x, nil
}
