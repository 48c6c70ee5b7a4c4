//! The study's prime-numbers function: every prime up to n, by the sieve of
//! Eratosthenes. Query: n (default 100, in [0, 10,000,000]). The answer is
//! byte for byte that of the Go version (functions/go/prime-numbers).

use common::{json_response, query_int, Json};
use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);

/// Answers `{"n", "count", "primes"}` for the query's n.
pub fn handle(req: &Request) -> Response {
    let n = match query_int(req, "n", 100, 0, 10_000_000) {
        Ok(n) => n,
        Err(e) => return e.response(),
    };
    let p = primes(n as usize);
    json_response(&Json::object(vec![
        ("n", n.into()),
        ("count", p.len().into()),
        ("primes", Json::array(p)),
    ]))
}

/// The primes <= n in increasing order.
pub fn primes(n: usize) -> Vec<usize> {
    let mut primes = Vec::new();
    if n < 2 {
        return primes;
    }
    let mut composite = vec![false; n + 1];
    for i in 2..=n {
        if composite[i] {
            continue;
        }
        primes.push(i);
        let mut j = i * i;
        while j <= n {
            composite[j] = true;
            j += i;
        }
    }
    primes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_answers_of_the_go_version() {
        assert_eq!(
            common::golden::check(include_str!("../testdata/golden.txt"), handle),
            10
        );
    }

    #[test]
    fn counts() {
        assert_eq!(primes(1_000_000).len(), 78498);
        assert!(primes(1).is_empty());
    }
}
