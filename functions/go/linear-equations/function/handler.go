// Package function is the study's linear-equations function: it solves a
// random, well-conditioned system A·x = b of the given size with gonum (LU
// with partial pivoting) and checks the solution.
//
// Query: unknowns (default 128, at most 2000), seed (default
// params.DefaultSeed). A is random with a dominant diagonal and the true x is
// known, so the answer reports the largest error against it together with the
// first solution components rounded to 6 decimals: the native build (gonum's
// assembly kernels) and the Wasm build (pure Go) agree as text.
package function

import (
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"

	"gonum.org/v1/gonum/mat"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
)

// tolerance is the largest error accepted against the true solution.
const tolerance = 1e-8

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
func Solve(seed uint64, n int) (Result, error) {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	a := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			a.Set(i, j, rng.Float64()*2-1)
		}
		a.Set(i, i, a.At(i, i)+float64(n))
	}
	want := mat.NewVecDense(n, nil)
	for i := range n {
		want.SetVec(i, rng.Float64()*200-100)
	}
	var b, x mat.VecDense
	b.MulVec(a, want)
	if err := x.SolveVec(a, &b); err != nil {
		return Result{}, fmt.Errorf("solve %d unknowns: %w", n, err)
	}
	res := Result{Unknowns: int64(n), Solved: true}
	for i := range n {
		if math.Abs(x.AtVec(i)-want.AtVec(i)) > tolerance {
			res.Solved = false
		}
		if i < 5 {
			res.First = append(res.First, strconv.FormatFloat(x.AtVec(i), 'f', 6, 64))
		}
	}
	return res, nil
}
