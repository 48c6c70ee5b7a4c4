package function

import (
	"slices"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	first25 := []int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97}
	handlertest.Run(t, Handle, []handlertest.Case[[]int]{
		{Query: "n=100", Status: 200, Want: first25},
		{Query: "", Status: 200, Want: first25},
		{Query: "n=2", Status: 200, Want: []int{2}},
		{Query: "n=1", Status: 200, Want: []int{}},
		{Query: "n=97", Status: 200, Want: first25},
		{Query: "n=-5", Status: 400},
		{Query: "n=100000000", Status: 400},
	}, func(t *testing.T, want []int, res Result) {
		if !slices.Equal(res.Primes, want) || res.Count != len(want) {
			t.Errorf("primes %v, want %v", res.Primes, want)
		}
	})
}

func TestPrimesCount(t *testing.T) {
	if got := len(Primes(1_000_000)); got != 78498 {
		t.Fatalf("pi(10^6) = %d, want 78498", got)
	}
}
