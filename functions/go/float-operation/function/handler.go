// Package function is the study's float-operation function: the sine,
// cosine and square root of n.
//
// Query: n (default 10000000). It does no other work; the study used it to
// measure the platform's overhead around a trivial computation.
package function

import (
	"math"
	"net/http"
	"strconv"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
)

// Result is the answer of Handle; floats are formatted with the shortest
// exact representation so that two builds can be compared as text.
type Result struct {
	N    int64  `json:"n"`
	Sin  string `json:"sin"`
	Cos  string `json:"cos"`
	Sqrt string `json:"sqrt"`
}

// Handle answers the JSON Result for the query's n.
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := params.Int(r, "n", 10000000, 0, 1<<53)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	params.JSON(w, Compute(n))
}

// Compute returns sin, cos and sqrt of n.
func Compute(n int64) Result {
	x := float64(n)
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return Result{N: n, Sin: f(math.Sin(x)), Cos: f(math.Cos(x)), Sqrt: f(math.Sqrt(x))}
}
