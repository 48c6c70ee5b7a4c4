package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	handlertest.Run(t, Handle, []handlertest.Case[int64]{
		{Query: "length=1000&iterations=100", Status: 200, Want: 1000},
		{Query: "", Status: 200, Want: 1000},
		{Query: "length=16&iterations=1&seed=7", Status: 200, Want: 16},
		{Query: "length=0", Status: 400},
		{Query: "iterations=x", Status: 400},
		{Query: "seed=-2", Status: 400},
	}, func(t *testing.T, wantLen int64, res Result) {
		if !res.OK || res.Length != wantLen || len(res.Digest) != 64 {
			t.Errorf("result %+v", res)
		}
	})
}

func TestRunDeterministic(t *testing.T) {
	a, _ := Run(1, 100, 3)
	b, _ := Run(1, 100, 3)
	c, _ := Run(2, 100, 3)
	if a != b {
		t.Errorf("same seed, different results: %+v %+v", a, b)
	}
	if a.Digest == c.Digest {
		t.Error("different seeds gave the same ciphertext")
	}
}

func BenchmarkRun(b *testing.B) {
	for b.Loop() {
		if _, err := Run(42, 1000, 100); err != nil {
			b.Fatal(err)
		}
	}
}
