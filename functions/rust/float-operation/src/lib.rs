//! The study's float-operation function: the sine, cosine and square root of
//! n, byte for byte the answers of the Go version
//! (functions/go/float-operation). Query: n (default 10,000,000, in
//! [0, 2⁵³]). The results are printed as Go's `strconv.FormatFloat(v, 'g',
//! -1, 64)` prints them (shortest repr).
//!
//! The Go version calls Go's `math.Sin`/`math.Cos`, which are not
//! glibc's or wasi-libc's (`sin(1e7)` differs from glibc's by an ulp), so
//! [`sin`] and [`cos`] here are a port of Go's: the Cephes polynomials of
//! Go 1.26's math/sin.go, the three-part π/4 reduction below 2²⁹ and the
//! Payne–Hanek reduction of math/trig_reduce.go above. Rust does not fuse
//! multiply-adds on its own, and Go on amd64 (GOAMD64=v1) and Wasm does not
//! either, so both compute the same bits; the tests check the port against
//! 4,200 values of Go's functions. The square root is IEEE's (correctly
//! rounded everywhere).

use common::gofloat::format_float;
use common::{json_response, query_int, Json};
use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// Answers `{"n", "sin", "cos", "sqrt"}` for the query's n.
pub fn handle(req: &Request) -> Response {
    let n = match query_int(req, "n", 10_000_000, 0, 1 << 53) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let x = n as f64;
    let f = |v: f64| Json::from(format_float(v, b'g', -1));
    json_response(&Json::object(vec![
        ("n", n.into()),
        ("sin", f(sin(x))),
        ("cos", f(cos(x))),
        ("sqrt", f(x.sqrt())),
    ]))
}

const SIN: [f64; 6] = [
    1.58962301576546568060e-10,
    -2.50507477628578072866e-8,
    2.75573136213857245213e-6,
    -1.98412698295895385996e-4,
    8.33333333332211858878e-3,
    -1.66666666666666307295e-1,
];

const COS: [f64; 6] = [
    -1.13585365213876817300e-11,
    2.08757008419747316778e-9,
    -2.75573141792967388112e-7,
    2.48015872888517045348e-5,
    -1.38888888888730564116e-3,
    4.16666666666665929218e-2,
];

// π/4 in three parts (Go's PI4A, PI4B, PI4C), by their bits.
fn pi4a() -> f64 {
    f64::from_bits(0x3fe921fb40000000)
}
fn pi4b() -> f64 {
    f64::from_bits(0x3e64442d00000000)
}
fn pi4c() -> f64 {
    f64::from_bits(0x3ce8469898cc5170)
}
/// Go's constant `4 / Pi` rounded to float64.
fn four_over_pi() -> f64 {
    f64::from_bits(0x3ff45f306dc9c883)
}
/// Go's `Pi / 4`.
fn pi_over_4() -> f64 {
    f64::from_bits(0x3fe921fb54442d18)
}

/// Arguments from here on use Payne–Hanek reduction (Go's reduceThreshold).
const REDUCE_THRESHOLD: f64 = (1u64 << 29) as f64;

/// The octant j (0..7) and the reduced argument z of |x| ≥ 0, as Go's sin
/// and cos compute them.
fn reduce(x: f64) -> (u64, f64) {
    if x >= REDUCE_THRESHOLD {
        return trig_reduce(x);
    }
    let mut j = (x * four_over_pi()) as u64;
    let mut y = j as f64;
    if j & 1 == 1 {
        j += 1;
        y += 1.0;
    }
    j &= 7;
    (j, ((x - y * pi4a()) - y * pi4b()) - y * pi4c())
}

fn sin_poly(z: f64, zz: f64) -> f64 {
    z + z
        * zz
        * ((((((SIN[0] * zz) + SIN[1]) * zz + SIN[2]) * zz + SIN[3]) * zz + SIN[4]) * zz + SIN[5])
}

fn cos_poly(zz: f64) -> f64 {
    1.0 - 0.5 * zz
        + zz * zz
            * ((((((COS[0] * zz) + COS[1]) * zz + COS[2]) * zz + COS[3]) * zz + COS[4]) * zz
                + COS[5])
}

/// Go's `math.Sin`, bit for bit.
pub fn sin(x: f64) -> f64 {
    if x == 0.0 || x.is_nan() {
        return x;
    }
    if x.is_infinite() {
        return f64::NAN;
    }
    let mut sign = x < 0.0;
    let (mut j, z) = reduce(x.abs());
    if j > 3 {
        sign = !sign;
        j -= 4;
    }
    let zz = z * z;
    let y = if j == 1 || j == 2 {
        cos_poly(zz)
    } else {
        sin_poly(z, zz)
    };
    if sign {
        -y
    } else {
        y
    }
}

/// Go's `math.Cos`, bit for bit.
pub fn cos(x: f64) -> f64 {
    if x.is_nan() || x.is_infinite() {
        return f64::NAN;
    }
    let mut sign = false;
    let (mut j, z) = reduce(x.abs());
    if j > 3 {
        j -= 4;
        sign = !sign;
    }
    if j > 1 {
        sign = !sign;
    }
    let zz = z * z;
    let y = if j == 1 || j == 2 {
        sin_poly(z, zz)
    } else {
        cos_poly(zz)
    };
    if sign {
        -y
    } else {
        y
    }
}

/// Bits of 4/π after the binary point, for Payne–Hanek (Go's mPi4).
const M_PI4: [u64; 20] = [
    0x0000000000000001,
    0x45f306dc9c882a53,
    0xf84eafa3ea69bb81,
    0xb6c52b3278872083,
    0xfca2c757bd778ac3,
    0x6e48dc74849ba5c0,
    0x0c925dd413a32439,
    0xfc3bd63962534e7d,
    0xd1046bea5d768909,
    0xd338e04d68befc82,
    0x7323ac7306a673e9,
    0x3908bf177bf25076,
    0x3ff12fffbc0b301f,
    0xde5e2316b414da3e,
    0xda6cfd9e4f96136e,
    0x9e8c7ecd3cbfd45a,
    0xea4f758fd7cbe2f6,
    0x7a0e73ef14a525d4,
    0xd7f6bf623f1aba10,
    0xac06608df8f6d757,
];

/// Go's shifts: a shift by 64 or more gives 0.
fn shl(x: u64, s: u32) -> u64 {
    x.checked_shl(s).unwrap_or(0)
}
fn shr(x: u64, s: u32) -> u64 {
    x.checked_shr(s).unwrap_or(0)
}

/// Go's trigReduce: Payne–Hanek reduction of x ≥ 2²⁹ to the octant j and z
/// in [-π/4, π/4].
fn trig_reduce(x: f64) -> (u64, f64) {
    const SHIFT: u32 = 52;
    const MASK: u64 = 0x7ff;
    const BIAS: i64 = 1023;
    if x < pi_over_4() {
        return (0, x);
    }
    let mut ix = x.to_bits();
    let exp = ((ix >> SHIFT) & MASK) as i64 - BIAS - SHIFT as i64;
    ix &= !(MASK << SHIFT);
    ix |= 1 << SHIFT;
    let digit = ((exp + 61) / 64) as usize;
    let bitshift = ((exp + 61) % 64) as u32;
    let z0 = shl(M_PI4[digit], bitshift) | shr(M_PI4[digit + 1], 64 - bitshift);
    let z1 = shl(M_PI4[digit + 1], bitshift) | shr(M_PI4[digit + 2], 64 - bitshift);
    let z2 = shl(M_PI4[digit + 2], bitshift) | shr(M_PI4[digit + 3], 64 - bitshift);
    let z2hi = ((z2 as u128 * ix as u128) >> 64) as u64;
    let z1p = z1 as u128 * ix as u128;
    let (z1hi, z1lo) = ((z1p >> 64) as u64, z1p as u64);
    let z0lo = z0.wrapping_mul(ix);
    let (lo, c) = z1lo.overflowing_add(z2hi);
    let hi = z0lo.wrapping_add(z1hi).wrapping_add(c as u64);
    let mut j = hi >> 61;
    let mut hi = shl(hi, 3) | shr(lo, 61);
    let lz = hi.leading_zeros();
    let e = (BIAS as u64).wrapping_sub(lz as u64 + 1);
    hi = shl(hi, lz + 1) | shr(lo, 64 - (lz + 1));
    hi >>= 64 - SHIFT;
    hi |= e << SHIFT;
    let mut z = f64::from_bits(hi);
    if j & 1 == 1 {
        j += 1;
        j &= 7;
        z -= 1.0;
    }
    (j, z * pi_over_4())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_answers_of_the_go_version() {
        assert_eq!(
            common::golden::check(include_str!("../testdata/golden.txt"), handle),
            16
        );
    }

    /// testdata/trig.txt: bits of x, Go's math.Sin(x) and math.Cos(x), for
    /// integers up to 2⁵³, reals from 2⁻²⁰ to 2⁶⁰ and edge values.
    #[test]
    fn sin_cos_match_go() {
        let mut n = 0;
        for line in include_str!("../testdata/trig.txt").lines() {
            let v: Vec<u64> = line
                .split(' ')
                .map(|s| u64::from_str_radix(s, 16).unwrap())
                .collect();
            let x = f64::from_bits(v[0]);
            assert_eq!(sin(x).to_bits(), v[1], "sin({:e})", x);
            assert_eq!(cos(x).to_bits(), v[2], "cos({:e})", x);
            n += 1;
        }
        assert!(n > 4000);
    }
}
