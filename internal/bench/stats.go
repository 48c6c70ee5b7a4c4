package bench

import (
	"math"
	"slices"
	"time"
)

// Summary describes a sample of durations in milliseconds.
type Summary struct {
	N      int     `json:"n"`
	Errors int     `json:"errors,omitempty"`
	Mean   float64 `json:"meanMs"`
	Stddev float64 `json:"stddevMs"`
	Min    float64 `json:"minMs"`
	P50    float64 `json:"p50Ms"`
	P90    float64 `json:"p90Ms"`
	P99    float64 `json:"p99Ms"`
	Max    float64 `json:"maxMs"`
}

// Summarize computes the summary of samples (any order); errors is carried
// through as is. An empty sample gives a zero Summary with N = 0.
func Summarize(samples []time.Duration, errors int) Summary {
	s := Summary{N: len(samples), Errors: errors}
	if len(samples) == 0 {
		return s
	}
	ms := Millis(samples)
	slices.Sort(ms)
	var sum float64
	for _, v := range ms {
		sum += v
	}
	s.Mean = sum / float64(len(ms))
	var sq float64
	for _, v := range ms {
		sq += (v - s.Mean) * (v - s.Mean)
	}
	if len(ms) > 1 {
		s.Stddev = math.Sqrt(sq / float64(len(ms)-1))
	}
	s.Min, s.Max = ms[0], ms[len(ms)-1]
	s.P50 = Quantile(ms, 0.50)
	s.P90 = Quantile(ms, 0.90)
	s.P99 = Quantile(ms, 0.99)
	return s
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of sorted by linear
// interpolation between closest ranks; 0 for an empty slice.
func Quantile(sorted []float64, q float64) float64 {
	switch {
	case len(sorted) == 0:
		return 0
	case q <= 0:
		return sorted[0]
	case q >= 1:
		return sorted[len(sorted)-1]
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	frac := pos - float64(lo)
	return sorted[lo] + frac*(sorted[hi]-sorted[lo])
}

// median is the median of v (any order), by Quantile; 0 for none.
func median(v []float64) float64 {
	return Quantile(slices.Sorted(slices.Values(v)), 0.5)
}

// Millis converts durations to float milliseconds, keeping the order.
func Millis(d []time.Duration) []float64 {
	out := make([]float64, len(d))
	for i, v := range d {
		out[i] = float64(v) / float64(time.Millisecond)
	}
	return out
}

// Ratio returns wasm/container, or 0 when either is not positive.
func Ratio(wasm, container float64) float64 {
	if wasm <= 0 || container <= 0 {
		return 0
	}
	return wasm / container
}
