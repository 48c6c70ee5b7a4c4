package function

import (
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	tests := []struct {
		query      string
		wantStatus int
		wantLen    int64
	}{
		{"length=1000&iterations=100", 200, 1000},
		{"", 200, 1000},
		{"length=16&iterations=1&seed=7", 200, 16},
		{"length=0", 400, 0},
		{"iterations=x", 400, 0},
		{"seed=-2", 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, ok := handlertest.Get[Result](t, Handle, tt.query, tt.wantStatus)
			if !ok {
				return
			}
			if !res.OK || res.Length != tt.wantLen || len(res.Digest) != 64 {
				t.Errorf("result %+v", res)
			}
		})
	}
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
