// Package prng is the deterministic pseudo-random generator of the study's
// functions, shared bit for bit with their Rust versions (crate common in
// functions/rust): SplitMix64 (Steele, Lea and Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014; the constants of Vigna's
// splitmix64.c).
//
// The generator's state is one uint64; each step adds the golden gamma
// 0x9e3779b97f4a7c15 and returns Mix64 of the new state. Derived values:
//
//   - Uint32: the upper 32 bits of Uint64.
//   - Float64: (Uint64 >> 11) · 2⁻⁵³, uniform in [0, 1) on a 2⁻⁵³ grid.
//   - Uint64N / IntN: Lemire's multiply-and-reject method ("Fast random
//     integer generation in an interval", ACM TOMS 2019): the high word of
//     x·n, drawing again while the low word is below (2⁶⁴ − n) mod n, so the
//     result is unbiased.
//
// It is neither cryptographically secure nor safe for concurrent use; it
// exists so that a function's Go and Rust builds, native and Wasm, answer
// the same for the same seed.
package prng

import "math/bits"

// gamma is SplitMix64's state increment (2⁶⁴/φ, odd).
const gamma = 0x9e3779b97f4a7c15

// Rand is a SplitMix64 generator. The zero value is a valid generator with
// seed 0.
type Rand struct {
	state uint64
}

// New returns a generator whose state is seed.
func New(seed uint64) *Rand {
	return &Rand{state: seed}
}

// NewStream returns a generator for seed and a second key, stream (a
// function uses it to draw different numbers for different problem sizes):
// its state is seed XOR Mix64(stream), so NewStream(seed, 0) equals
// New(seed).
func NewStream(seed, stream uint64) *Rand {
	return &Rand{state: seed ^ Mix64(stream)}
}

// Mix64 is SplitMix64's output function (Stafford's variant 13 of the
// MurmurHash3 finalizer); Mix64(0) is 0.
func Mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Uint64 returns the next 64 pseudo-random bits.
func (r *Rand) Uint64() uint64 {
	r.state += gamma
	return Mix64(r.state)
}

// Uint32 returns the upper 32 bits of the next Uint64.
func (r *Rand) Uint32() uint32 {
	return uint32(r.Uint64() >> 32)
}

// Float64 returns a number in [0, 1): the upper 53 bits of the next Uint64
// times 2⁻⁵³.
func (r *Rand) Float64() float64 {
	return float64(r.Uint64()>>11) * 0x1p-53
}

// Uint64N returns a number in [0, n) without bias. It panics if n is 0.
func (r *Rand) Uint64N(n uint64) uint64 {
	if n == 0 {
		panic("prng: Uint64N(0)")
	}
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

// IntN returns a number in [0, n) without bias. It panics if n <= 0.
func (r *Rand) IntN(n int) int {
	if n <= 0 {
		panic("prng: IntN(n <= 0)")
	}
	return int(r.Uint64N(uint64(n)))
}
