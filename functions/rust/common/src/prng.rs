//! SplitMix64, bit for bit the generator of `functions/internal/prng` (Go):
//! the state is one u64; each step adds the gamma 0x9e3779b97f4a7c15 and
//! returns [`mix64`] of the new state.
//!
//! Derived draws, as in Go: [`Rand::next_u32`] is the upper 32 bits,
//! [`Rand::float64`] is `(x >> 11) · 2⁻⁵³` in [0, 1), and
//! [`Rand::uint64n`] / [`Rand::intn`] use Lemire's multiply-and-reject
//! method (the high word of x·n, drawing again while the low word is below
//! (2⁶⁴ − n) mod n), which is unbiased. Not cryptographically secure.

const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// SplitMix64's output function (Stafford's variant 13); `mix64(0) == 0`.
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A SplitMix64 generator (Go: `prng.Rand`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rand {
    state: u64,
}

impl Rand {
    /// A generator whose state is `seed` (Go: `prng.New`).
    pub fn new(seed: u64) -> Rand {
        Rand { state: seed }
    }

    /// A generator for `seed` and a second key `stream`: state
    /// `seed ^ mix64(stream)` (Go: `prng.NewStream`).
    pub fn with_stream(seed: u64, stream: u64) -> Rand {
        Rand {
            state: seed ^ mix64(stream),
        }
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix64(self.state)
    }

    /// The upper 32 bits of the next draw.
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// A number in [0, 1): the upper 53 bits of the next draw times 2⁻⁵³.
    pub fn float64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A number in [0, n) without bias. Panics if `n == 0`.
    pub fn uint64n(&mut self, n: u64) -> u64 {
        assert!(n != 0, "prng: uint64n(0)");
        let mut m = (self.next_u64() as u128) * (n as u128);
        if (m as u64) < n {
            let thresh = n.wrapping_neg() % n;
            while (m as u64) < thresh {
                m = (self.next_u64() as u128) * (n as u128);
            }
        }
        (m >> 64) as u64
    }

    /// A number in [0, n) without bias. Panics if `n == 0`.
    pub fn intn(&mut self, n: usize) -> usize {
        self.uint64n(n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The same vectors as functions/internal/prng/prng_test.go.
    #[test]
    fn known_answers() {
        let mut r = Rand::new(0);
        for want in [0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f] {
            assert_eq!(r.next_u64(), want);
        }
        let mut r = Rand::new(1234567);
        for want in [
            6457827717110365317,
            3203168211198807973,
            9817491932198370423,
            4593380528125082431,
            16408922859458223821,
        ] {
            assert_eq!(r.next_u64(), want);
        }
        let mut r = Rand::new(42);
        for want in [3184996902u32, 686809907, 1196582743] {
            assert_eq!(r.next_u32(), want);
        }
        let mut r = Rand::new(42);
        for want in [0.7415648787718233, 0.1599103928769201, 0.27860113025513866] {
            assert_eq!(r.float64(), want);
        }
        let mut r = Rand::new(42);
        for want in [45, 9, 17, 21, 2, 53, 13, 49] {
            assert_eq!(r.intn(62), want);
        }
        let mut r = Rand::new(7);
        for want in [
            3595544800446187243u64,
            8308050873407804673,
            2300599727732774152,
            1238314238945538992,
        ] {
            assert_eq!(r.uint64n((1 << 63) + 1), want);
        }
        let mut r = Rand::with_stream(42, 50);
        assert_eq!(r.next_u64(), 3026148404981769979);
        assert_eq!(r.next_u64(), 15718578800912756131);
        assert_eq!(mix64(1), 6238072747940578789);
        assert_eq!(Rand::with_stream(9, 0), Rand::new(9));
    }

    #[test]
    fn bounds() {
        let mut r = Rand::new(1);
        for _ in 0..10000 {
            let f = r.float64();
            assert!((0.0..1.0).contains(&f));
            assert!(r.intn(3) < 3);
        }
        assert_eq!(r.uint64n(1), 0);
    }

    #[test]
    #[should_panic]
    fn zero_bound_panics() {
        Rand::new(1).intn(0);
    }
}
