// Package function is the study's prime-numbers function: every prime up to
// n, by the sieve of Eratosthenes.
//
// Query: n (default 100, at most 10,000,000).
package function

import (
	"net/http"

	"github.com/faas-wasm/faas-wasm/functions/internal/params"
)

// Result is the answer of Handle.
type Result struct {
	N      int64 `json:"n"`
	Count  int   `json:"count"`
	Primes []int `json:"primes"`
}

// Handle answers the JSON Result for the query's n.
func Handle(w http.ResponseWriter, r *http.Request) {
	n, err := params.Int(r, "n", 100, 0, 10_000_000)
	if err != nil {
		params.Error(w, http.StatusBadRequest, err)
		return
	}
	p := Primes(int(n))
	params.JSON(w, Result{N: n, Count: len(p), Primes: p})
}

// Primes returns the primes <= n in increasing order.
func Primes(n int) []int {
	primes := []int{}
	if n < 2 {
		return primes
	}
	composite := make([]bool, n+1)
	for i := 2; i <= n; i++ {
		if composite[i] {
			continue
		}
		primes = append(primes, i)
		for j := i * i; j <= n; j += i {
			composite[j] = true
		}
	}
	return primes
}
