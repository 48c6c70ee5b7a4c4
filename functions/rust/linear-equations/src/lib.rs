//! The study's linear-equations function: it solves a seeded random,
//! well-conditioned system A·x = b by LU decomposition with partial
//! pivoting and checks the solution; byte for byte the answers of the Go
//! version (functions/go/linear-equations), whose operations, order
//! included, this repeats (so the same bits).
//!
//! Query: unknowns (default 128, in [1, 2000]), seed (default 42). From
//! `Rand::with_stream(seed, n)`: A row by row, uniform in [-1, 1), with n
//! added to each diagonal entry, then the true x, uniform in [-100, 100).
//! The answer: whether every component is within 1e-8 of the true one, and
//! the first five with 6 decimals (Go's `'f'`, 6).

use common::gofloat::format_float;
use common::{error_response, json_response, query_int, seed, Json, Rand};
use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// The largest error accepted against the true solution.
const TOLERANCE: f64 = 1e-8;

/// Answers `{"unknowns", "solved", "first"}` for the query.
pub fn handle(req: &Request) -> Response {
    let n = match query_int(req, "unknowns", 128, 1, 2000) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let seed = match seed(req) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    match solve_random(seed, n as usize) {
        Ok((solved, first)) => json_response(&Json::object(vec![
            ("unknowns", n.into()),
            ("solved", solved.into()),
            ("first", Json::array(first)),
        ])),
        Err(e) => error_response(500, &format!("solve {} unknowns: {}", n, e)),
    }
}

/// Builds the seeded system of n unknowns, solves it, and returns whether
/// the solution is within tolerance and its first (up to) five components
/// formatted with 6 decimals.
///
/// # Errors
/// `matrix is singular` for a zero pivot (never for these matrices).
pub fn solve_random(seed: u64, n: usize) -> Result<(bool, Vec<String>), &'static str> {
    let mut rng = Rand::with_stream(seed, n as u64);
    let mut a = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            a[i * n + j] = rng.float64() * 2.0 - 1.0;
        }
        a[i * n + i] += n as f64;
    }
    let want: Vec<f64> = (0..n).map(|_| rng.float64() * 200.0 - 100.0).collect();
    let b: Vec<f64> = (0..n)
        .map(|i| {
            let mut s = 0.0;
            for j in 0..n {
                s += a[i * n + j] * want[j];
            }
            s
        })
        .collect();
    let x = solve(&mut a, b, n)?;
    let solved = x.iter().zip(&want).all(|(x, w)| (x - w).abs() <= TOLERANCE);
    Ok((
        solved,
        x.iter()
            .take(5)
            .map(|v| format_float(*v, b'f', 6))
            .collect(),
    ))
}

/// x with A·x = b for the row-major n×n A, which it overwrites with its LU
/// factors; the steps of the Go version's solve: per column k the first row
/// of largest |a[i][k]| is the pivot, rows swap in A and b, rows below are
/// eliminated (a[i][j] -= l·a[k][j], b[i] -= l·b[k]); then back
/// substitution from the last row, sums with increasing j.
fn solve(a: &mut [f64], mut b: Vec<f64>, n: usize) -> Result<Vec<f64>, &'static str> {
    for k in 0..n {
        let mut p = k;
        for i in k + 1..n {
            if a[i * n + k].abs() > a[p * n + k].abs() {
                p = i;
            }
        }
        if a[p * n + k] == 0.0 {
            return Err("matrix is singular");
        }
        if p != k {
            for j in 0..n {
                a.swap(k * n + j, p * n + j);
            }
            b.swap(k, p);
        }
        let pivot = a[k * n + k];
        let (top, rest) = a.split_at_mut((k + 1) * n);
        let row_k = &top[k * n..];
        for (r, row_i) in rest.chunks_mut(n).enumerate() {
            let i = k + 1 + r;
            let l = row_i[k] / pivot;
            row_i[k] = l;
            for j in k + 1..n {
                row_i[j] -= l * row_k[j];
            }
            b[i] -= l * b[k];
        }
    }
    let mut x = vec![0.0; n];
    for i in (0..n).rev() {
        let mut s = b[i];
        for j in i + 1..n {
            s -= a[i * n + j] * x[j];
        }
        x[i] = s / a[i * n + i];
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_answers_of_the_go_version() {
        assert_eq!(
            common::golden::check(include_str!("../testdata/golden.txt"), handle),
            9
        );
    }

    #[test]
    fn singular() {
        let mut a = vec![1.0, 2.0, 2.0, 4.0];
        assert_eq!(solve(&mut a, vec![1.0, 2.0], 2), Err("matrix is singular"));
    }
}
