package bench

import (
	"math"
	"testing"
	"time"
)

func TestSummarize(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x * float64(time.Millisecond))
		}
		return out
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Summary
	}{
		{"empty", nil, Summary{}},
		{"one", ms(7), Summary{N: 1, Mean: 7, Min: 7, P50: 7, P90: 7, P99: 7, Max: 7}},
		{"unsorted", ms(4, 1, 3, 2), Summary{N: 4, Mean: 2.5, Stddev: math.Sqrt(5.0 / 3), Min: 1,
			P50: 2.5, P90: 3.7, P99: 3.97, Max: 4}},
		{"constant", ms(5, 5, 5), Summary{N: 3, Mean: 5, Min: 5, P50: 5, P90: 5, P99: 5, Max: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Summarize(tt.in, 0)
			close := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
			if got.N != tt.want.N || !close(got.Mean, tt.want.Mean) || !close(got.Stddev, tt.want.Stddev) ||
				!close(got.Min, tt.want.Min) || !close(got.P50, tt.want.P50) || !close(got.P90, tt.want.P90) ||
				!close(got.P99, tt.want.P99) || !close(got.Max, tt.want.Max) {
				t.Errorf("Summarize = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	sorted := []float64{10, 20, 30, 40, 50}
	tests := []struct {
		q, want float64
	}{{-1, 10}, {0, 10}, {0.25, 20}, {0.5, 30}, {0.9, 46}, {1, 50}, {2, 50}}
	for _, tt := range tests {
		t.Run("", func(t *testing.T) {
			if got := Quantile(sorted, tt.q); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, got, tt.want)
			}
		})
	}
	if Quantile(nil, 0.5) != 0 {
		t.Error("Quantile(nil) != 0")
	}
}

func TestRatio(t *testing.T) {
	tests := []struct{ w, c, want float64 }{{2, 4, 0.5}, {0, 4, 0}, {3, 0, 0}, {-1, 2, 0}}
	for _, tt := range tests {
		if got := Ratio(tt.w, tt.c); got != tt.want {
			t.Errorf("Ratio(%v, %v) = %v, want %v", tt.w, tt.c, got, tt.want)
		}
	}
}
