//! The study's n-body function: the benchmarks-game simulation of the four
//! Jovian planets around the Sun, advanced with a simple symplectic
//! integrator. Query: n (steps, default 1000, in [0, 50,000,000]). The answer
//! is the system's energy before and after with nine decimals, byte for byte
//! that of the Go version (functions/go/n-body): the same operations in the
//! same order (Rust never fuses a multiply-add on its own), and `%.9f`
//! rounding as Go's (half to even on the exact value).

use common::gofloat::sprintf_f;
use common::{json_response, query_int, Json};
use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);
use std::f64::consts::PI;

const SOLAR_MASS: f64 = 4.0 * PI * PI;
const DAYS_PER_YEAR: f64 = 365.24;
const DT: f64 = 0.01;

#[derive(Clone, Copy)]
struct Body {
    x: f64,
    y: f64,
    z: f64,
    vx: f64,
    vy: f64,
    vz: f64,
    mass: f64,
}

/// Answers `{"steps", "energy_before", "energy_after"}` for the query's n.
pub fn handle(req: &Request) -> Response {
    let n = match query_int(req, "n", 1000, 0, 50_000_000) {
        Ok(n) => n,
        Err(e) => return e.response(),
    };
    let (before, after) = simulate(n as usize);
    json_response(&Json::object(vec![
        ("steps", n.into()),
        ("energy_before", sprintf_f(before, 9).into()),
        ("energy_after", sprintf_f(after, 9).into()),
    ]))
}

/// Advances the system n steps; returns its energy before and after.
pub fn simulate(n: usize) -> (f64, f64) {
    let mut sys = planets();
    offset_momentum(&mut sys);
    let before = energy(&sys);
    for _ in 0..n {
        advance(&mut sys);
    }
    (before, energy(&sys))
}

fn planets() -> [Body; 5] {
    let p = |x, y, z, vx: f64, vy: f64, vz: f64, m: f64| Body {
        x,
        y,
        z,
        vx: vx * DAYS_PER_YEAR,
        vy: vy * DAYS_PER_YEAR,
        vz: vz * DAYS_PER_YEAR,
        mass: m * SOLAR_MASS,
    };
    [
        Body {
            x: 0.0,
            y: 0.0,
            z: 0.0,
            vx: 0.0,
            vy: 0.0,
            vz: 0.0,
            mass: SOLAR_MASS,
        },
        p(
            4.84143144246472090e+00,
            -1.16032004402742839e+00,
            -1.03622044471123109e-01,
            1.66007664274403694e-03,
            7.69901118419740425e-03,
            -6.90460016972063023e-05,
            9.54791938424326609e-04,
        ),
        p(
            8.34336671824457987e+00,
            4.12479856412430479e+00,
            -4.03523417114321381e-01,
            -2.76742510726862411e-03,
            4.99852801234917238e-03,
            2.30417297573763929e-05,
            2.85885980666130812e-04,
        ),
        p(
            1.28943695621391310e+01,
            -1.51111514016986312e+01,
            -2.23307578892655734e-01,
            2.96460137564761618e-03,
            2.37847173959480950e-03,
            -2.96589568540237556e-05,
            4.36624404335156298e-05,
        ),
        p(
            1.53796971148509165e+01,
            -2.59193146099879641e+01,
            1.79258772950371181e-01,
            2.68067772490389322e-03,
            1.62824170038242295e-03,
            -9.51592254519715870e-05,
            5.15138902046611451e-05,
        ),
    ]
}

fn offset_momentum(sys: &mut [Body; 5]) {
    let (mut px, mut py, mut pz) = (0.0, 0.0, 0.0);
    for b in sys.iter() {
        px += b.vx * b.mass;
        py += b.vy * b.mass;
        pz += b.vz * b.mass;
    }
    sys[0].vx = -px / SOLAR_MASS;
    sys[0].vy = -py / SOLAR_MASS;
    sys[0].vz = -pz / SOLAR_MASS;
}

fn advance(sys: &mut [Body; 5]) {
    for i in 0..sys.len() {
        let (left, right) = sys.split_at_mut(i + 1);
        let a = &mut left[i];
        for b in right.iter_mut() {
            let (dx, dy, dz) = (a.x - b.x, a.y - b.y, a.z - b.z);
            let d2 = dx * dx + dy * dy + dz * dz;
            let mag = DT / (d2 * d2.sqrt());
            a.vx -= dx * b.mass * mag;
            a.vy -= dy * b.mass * mag;
            a.vz -= dz * b.mass * mag;
            b.vx += dx * a.mass * mag;
            b.vy += dy * a.mass * mag;
            b.vz += dz * a.mass * mag;
        }
    }
    for b in sys.iter_mut() {
        b.x += DT * b.vx;
        b.y += DT * b.vy;
        b.z += DT * b.vz;
    }
}

fn energy(sys: &[Body; 5]) -> f64 {
    let mut e = 0.0;
    for (i, a) in sys.iter().enumerate() {
        e += 0.5 * a.mass * (a.vx * a.vx + a.vy * a.vy + a.vz * a.vz);
        for b in &sys[i + 1..] {
            let (dx, dy, dz) = (a.x - b.x, a.y - b.y, a.z - b.z);
            e -= a.mass * b.mass / (dx * dx + dy * dy + dz * dz).sqrt();
        }
    }
    e
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

    /// The benchmarks game's published energies for 1,000 steps.
    #[test]
    fn reference_energies() {
        let (b, a) = simulate(1000);
        assert_eq!(
            (sprintf_f(b, 9), sprintf_f(a, 9)),
            ("-0.169075164".to_string(), "-0.169087605".to_string())
        );
    }
}
