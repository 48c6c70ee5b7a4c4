package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		query      string
		wantStatus int
		wantN      int64
		wantFirst  int
	}{
		{"unknowns=128", 200, 128, 5},
		{"", 200, 128, 5},
		{"unknowns=2&seed=1", 200, 2, 2},
		{"unknowns=0", 400, 0, 0},
		{"unknowns=99999", 400, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, ok := handlertest.Get[Result](t, Handle, tt.query, tt.wantStatus)
			if !ok {
				return
			}
			if !res.Solved || res.Unknowns != tt.wantN || len(res.First) != tt.wantFirst {
				t.Errorf("result %+v", res)
			}
		})
	}
}

func BenchmarkSolve(b *testing.B) {
	for b.Loop() {
		if _, err := Solve(42, 128); err != nil {
			b.Fatal(err)
		}
	}
}
