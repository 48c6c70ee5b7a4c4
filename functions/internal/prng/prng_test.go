package prng

import (
	"math"
	"testing"
)

// The same vectors are in functions/rust/common (src/prng.rs): both
// languages must draw the same numbers.
func TestUint64KnownAnswers(t *testing.T) {
	tests := []struct {
		seed uint64
		want []uint64
	}{
		// Published SplitMix64 outputs (Vigna's splitmix64.c).
		{0, []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f}},
		{1234567, []uint64{6457827717110365317, 3203168211198807973, 9817491932198370423, 4593380528125082431, 16408922859458223821}},
	}
	for _, tt := range tests {
		r := New(tt.seed)
		for i, want := range tt.want {
			if got := r.Uint64(); got != want {
				t.Errorf("seed %d draw %d = %#x, want %#x", tt.seed, i, got, want)
			}
		}
	}
}

func TestDerivedKnownAnswers(t *testing.T) {
	r := New(42)
	for i, want := range []uint32{3184996902, 686809907, 1196582743} {
		if got := r.Uint32(); got != want {
			t.Errorf("Uint32 %d = %d, want %d", i, got, want)
		}
	}
	r = New(42)
	for i, want := range []float64{0.7415648787718233, 0.1599103928769201, 0.27860113025513866} {
		if got := r.Float64(); got != want {
			t.Errorf("Float64 %d = %v, want %v", i, got, want)
		}
	}
	r = New(42)
	for i, want := range []int{45, 9, 17, 21, 2, 53, 13, 49} {
		if got := r.IntN(62); got != want {
			t.Errorf("IntN(62) %d = %d, want %d", i, got, want)
		}
	}
	// n = 2⁶³+1 rejects about half of the draws.
	r = New(7)
	for i, want := range []uint64{3595544800446187243, 8308050873407804673, 2300599727732774152, 1238314238945538992} {
		if got := r.Uint64N(1<<63 + 1); got != want {
			t.Errorf("Uint64N %d = %d, want %d", i, got, want)
		}
	}
	r = NewStream(42, 50)
	for i, want := range []uint64{3026148404981769979, 15718578800912756131} {
		if got := r.Uint64(); got != want {
			t.Errorf("NewStream draw %d = %d, want %d", i, got, want)
		}
	}
	if got := Mix64(1); got != 6238072747940578789 {
		t.Errorf("Mix64(1) = %d", got)
	}
	if a, b := NewStream(9, 0).Uint64(), New(9).Uint64(); a != b {
		t.Errorf("NewStream(9, 0) != New(9): %d %d", a, b)
	}
}

func TestBounds(t *testing.T) {
	r := New(1)
	for range 10000 {
		if f := r.Float64(); f < 0 || f >= 1 {
			t.Fatalf("Float64 = %v", f)
		}
		if n := r.IntN(3); n < 0 || n >= 3 {
			t.Fatalf("IntN(3) = %d", n)
		}
	}
	if got := r.Uint64N(1); got != 0 {
		t.Fatalf("Uint64N(1) = %d", got)
	}
	if f := float64(math.MaxUint64>>11) * 0x1p-53; f >= 1 {
		t.Fatalf("largest Float64 = %v", f)
	}
}

func TestIntNPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("IntN(0) did not panic")
		}
	}()
	New(1).IntN(0)
}
