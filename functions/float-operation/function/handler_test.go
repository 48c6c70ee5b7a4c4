package function

import (
	"math"
	"strconv"
	"testing"

	"github.com/faas-wasm/faas-wasm/functions/internal/handlertest"
)

func TestHandle(t *testing.T) {
	// Reference values from the C library (glibc libm), compared within a few
	// ulps: Go's math.Sin is not always correctly rounded.
	tests := []struct {
		query            string
		wantStatus       int
		sin, cos, sqrtOf float64
	}{
		{"n=10000000", 200, 0.4205477931907825, -0.9072703861817396, 3162.2776601683795},
		{"", 200, 0.4205477931907825, -0.9072703861817396, 3162.2776601683795},
		{"n=0", 200, 0, 1, 0},
		{"n=2", 200, 0.9092974268256817, -0.4161468365471424, math.Sqrt2},
		{"n=-1", 400, 0, 0, 0},
		{"n=abc", 400, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res, ok := handlertest.Get[Result](t, Handle, tt.query, tt.wantStatus)
			if !ok {
				return
			}
			for _, c := range []struct {
				name string
				got  string
				want float64
			}{{"sin", res.Sin, tt.sin}, {"cos", res.Cos, tt.cos}, {"sqrt", res.Sqrt, tt.sqrtOf}} {
				v, err := strconv.ParseFloat(c.got, 64)
				if err != nil || math.Abs(v-c.want) > 1e-15*math.Max(1, math.Abs(c.want)) {
					t.Errorf("%s = %s, want %v", c.name, c.got, c.want)
				}
			}
		})
	}
}
