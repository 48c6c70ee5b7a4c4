package function

import (
	"slices"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	first25 := []int{2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97}
	tests := []struct {
		query      string
		wantStatus int
		wantPrimes []int
	}{
		{"n=100", 200, first25},
		{"", 200, first25},
		{"n=2", 200, []int{2}},
		{"n=1", 200, []int{}},
		{"n=97", 200, first25},
		{"n=-5", 400, nil},
		{"n=100000000", 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, ok := handlertest.Get[Result](t, Handle, tt.query, tt.wantStatus)
			if !ok {
				return
			}
			if !slices.Equal(res.Primes, tt.wantPrimes) || res.Count != len(tt.wantPrimes) {
				t.Errorf("primes %v, want %v", res.Primes, tt.wantPrimes)
			}
		})
	}
}

func TestPrimesCount(t *testing.T) {
	if got := len(Primes(1_000_000)); got != 78498 {
		t.Fatalf("pi(10^6) = %d, want 78498", got)
	}
}
