package function

import (
	"math"
	"strconv"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

// results are the sin, cos and sqrt a float-operation answer must hold.
type results struct{ sin, cos, sqrt float64 }

func TestHandle(t *testing.T) {
	// Reference values from the C library (glibc libm), compared within a few
	// ulps: Go's math.Sin is not always correctly rounded.
	handlertest.Run(t, Handle, []handlertest.Case[results]{
		{Query: "n=10000000", Status: 200, Want: results{0.4205477931907825, -0.9072703861817396, 3162.2776601683795}},
		{Query: "", Status: 200, Want: results{0.4205477931907825, -0.9072703861817396, 3162.2776601683795}},
		{Query: "n=0", Status: 200, Want: results{0, 1, 0}},
		{Query: "n=2", Status: 200, Want: results{0.9092974268256817, -0.4161468365471424, math.Sqrt2}},
		{Query: "n=-1", Status: 400},
		{Query: "n=abc", Status: 400},
	}, func(t *testing.T, want results, res Result) {
		for _, c := range []struct {
			name string
			got  string
			want float64
		}{{"sin", res.Sin, want.sin}, {"cos", res.Cos, want.cos}, {"sqrt", res.Sqrt, want.sqrt}} {
			v, err := strconv.ParseFloat(c.got, 64)
			if err != nil || math.Abs(v-c.want) > 1e-15*math.Max(1, math.Abs(c.want)) {
				t.Errorf("%s = %s, want %v", c.name, c.got, c.want)
			}
		}
	})
}
