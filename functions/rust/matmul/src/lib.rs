//! The study's matmul function: the product of two seeded random square
//! matrices, byte for byte the answers of the Go version (functions/go/matmul).
//!
//! Query: dimensions (default 50, in [1, 2000]), seed (default 42). Entries
//! are `float64()` draws of `Rand::with_stream(seed, n)`, A then B, row by
//! row. The product is the plain loop with each entry summed over k in
//! increasing order (as Go's, so the same bits); the answer is its trace and
//! the sum of all entries with 6 significant digits (Go's `'g'`, 6).

use common::gofloat::format_float;
use common::{json_response, query_int, seed, Json, Rand};
use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// Answers `{"dimensions", "trace", "sum"}` for the query.
pub fn handle(req: &Request) -> Response {
    let n = match query_int(req, "dimensions", 50, 1, 2000) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let seed = match seed(req) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let (trace, sum) = multiply(seed, n as usize);
    json_response(&Json::object(vec![
        ("dimensions", n.into()),
        ("trace", format_float(trace, b'g', 6).into()),
        ("sum", format_float(sum, b'g', 6).into()),
    ]))
}

/// The trace (diagonal summed in row order) and the sum of all entries (row
/// by row) of the product of the two seeded n×n matrices.
pub fn multiply(seed: u64, n: usize) -> (f64, f64) {
    let (a, b) = matrices(seed, n);
    let c = product(&a, &b, n);
    let (mut trace, mut sum) = (0.0, 0.0);
    for i in 0..n {
        trace += c[i * n + i];
        for v in &c[i * n..(i + 1) * n] {
            sum += v;
        }
    }
    (trace, sum)
}

fn matrices(seed: u64, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = Rand::with_stream(seed, n as u64);
    let a: Vec<f64> = (0..n * n).map(|_| rng.float64()).collect();
    let b: Vec<f64> = (0..n * n).map(|_| rng.float64()).collect();
    (a, b)
}

/// A·B, row-major; loop order i, k, j: c[i][j] starts at 0 and adds
/// a[i][k]·b[k][j] for k = 0, 1, …, n-1 in turn.
fn product(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut c = vec![0.0; n * n];
    for i in 0..n {
        let ci = &mut c[i * n..(i + 1) * n];
        for k in 0..n {
            let aik = a[i * n + k];
            let bk = &b[k * n..(k + 1) * n];
            for (cij, bkj) in ci.iter_mut().zip(bk) {
                *cij += aik * bkj;
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_answers_of_the_go_version() {
        assert_eq!(
            common::golden::check(include_str!("../testdata/golden.txt"), handle),
            8
        );
    }

    #[test]
    fn product_against_dot_products() {
        let n = 20;
        let (a, b) = matrices(3, n);
        let c = product(&a, &b, n);
        for i in 0..n {
            for j in 0..n {
                let mut want = 0.0;
                for k in 0..n {
                    want += a[i * n + k] * b[k * n + j];
                }
                assert_eq!(c[i * n + j].to_bits(), want.to_bits());
            }
        }
    }
}
