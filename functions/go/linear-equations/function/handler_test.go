package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

// solution is what a linear-equations answer must hold.
type solution struct {
	unknowns int64
	first    int
}

func TestHandle(t *testing.T) {
	handlertest.Run(t, Handle, []handlertest.Case[solution]{
		{Query: "unknowns=128", Status: 200, Want: solution{128, 5}},
		{Query: "", Status: 200, Want: solution{128, 5}},
		{Query: "unknowns=2&seed=1", Status: 200, Want: solution{2, 2}},
		{Query: "unknowns=0", Status: 400},
		{Query: "unknowns=99999", Status: 400},
	}, func(t *testing.T, want solution, res Result) {
		if !res.Solved || res.Unknowns != want.unknowns || len(res.First) != want.first {
			t.Errorf("result %+v", res)
		}
	})
}

func BenchmarkSolve(b *testing.B) {
	for b.Loop() {
		if _, err := Solve(42, 128); err != nil {
			b.Fatal(err)
		}
	}
}
