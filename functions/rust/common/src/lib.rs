//! What the study's Rust functions share, so that each answers byte for byte
//! what its Go version (functions/go/NAME) answers for the same query:
//!
//! - [`params`]: bounded integer and seed query parameters with the error
//!   texts of `functions/internal/params`, and the JSON / error responses
//!   (`params.JSON`, Go's `http.Error`).
//! - [`json`]: a JSON value written as Go's `json.MarshalIndent(v, "", "  ")`
//!   writes it (key order as given, Go's string escaping and float format).
//! - [`gofloat`]: `strconv.FormatFloat` (`'e'`, `'f'`, `'g'`) and
//!   `fmt.Sprintf("%.Nf")`, exactly, for f64.
//! - [`prng`]: SplitMix64 with the derived draws of
//!   `functions/internal/prng`, the same numbers for the same seed.
//!
//! - [`golden`]: the golden answers recorded from the Go versions, checked
//!   against a handler in tests.
//!
//! It does no I/O and holds no function logic.

pub mod gofloat;
pub mod golden;
pub mod goquery;
pub mod json;
pub mod params;
pub mod prng;

pub use json::Json;
pub use params::{error_response, json_response, query_int, seed, ParamError, DEFAULT_SEED};
pub use prng::Rand;
