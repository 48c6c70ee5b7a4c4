//! The fake users of functions/internal/fakeuser (Go), draw for draw: one
//! `Rand::new(seed)`; per user IntN over first, last, domain, number
//! [0, 100), phone first digit [2, 10) and nine digits [0, 10), house number
//! [1, 10000), street, city, country. Email = lower(first).lower(last)@domain,
//! Username = lower(first)+lower(last)+number, Street = "house street".

use common::json::write_string;
use common::Json;
use common::Rand;

/// The word lists, shared with the Go version: a copy of
/// functions/internal/fakeuser/words.txt written by `go generate` there and
/// kept equal by its tests (the faas-wasm builder stages only this crate's
/// packages, so the original is out of reach).
pub const WORDS: &str = include_str!("words.txt");

/// One generated record, in the JSON shape the user store accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub username: String,
    pub phone: String,
    pub street: String,
    pub city: String,
    pub country: String,
}

impl User {
    /// (JSON name, value) in the Go struct's field order.
    fn pairs(&self) -> [(&'static str, &str); 8] {
        [
            ("first_name", &self.first_name),
            ("last_name", &self.last_name),
            ("email", &self.email),
            ("username", &self.username),
            ("phone", &self.phone),
            ("street", &self.street),
            ("city", &self.city),
            ("country", &self.country),
        ]
    }

    /// The fields as a JSON object's members.
    pub fn fields(&self) -> Vec<(&'static str, Json)> {
        self.pairs().iter().map(|(k, v)| (*k, Json::from(*v))).collect()
    }

    /// Compact JSON, as Go's `json.Marshal` writes the struct.
    pub fn to_json(&self) -> String {
        let mut out = String::from("{");
        for (i, (k, v)) in self.pairs().iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(&mut out, k);
            out.push(':');
            write_string(&mut out, v);
        }
        out.push('}');
        out
    }
}

/// The list of section `name` of [`WORDS`].
pub fn list(name: &str) -> Vec<&'static str> {
    let mut section = "";
    let mut out = Vec::new();
    for line in WORDS.lines() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            section = &line[1..line.len() - 1];
        } else if section == name {
            out.push(line);
        }
    }
    out
}

/// n users drawn from `Rand::new(seed)`.
pub fn generate(seed: u64, n: usize) -> Vec<User> {
    let lists: Vec<Vec<&str>> =
        ["first", "last", "domain", "street", "city", "country"].iter().map(|s| list(s)).collect();
    let mut r = Rand::new(seed);
    let mut users = Vec::with_capacity(n);
    for _ in 0..n {
        let first = lists[0][r.intn(lists[0].len())];
        let last = lists[1][r.intn(lists[1].len())];
        let domain = lists[2][r.intn(lists[2].len())];
        let number = r.intn(100);
        let mut phone = String::with_capacity(10);
        phone.push((b'2' + r.intn(8) as u8) as char);
        for _ in 1..10 {
            phone.push((b'0' + r.intn(10) as u8) as char);
        }
        let house = 1 + r.intn(9999);
        let street = lists[3][r.intn(lists[3].len())];
        let (lf, ll) = (first.to_ascii_lowercase(), last.to_ascii_lowercase());
        users.push(User {
            first_name: first.to_string(),
            last_name: last.to_string(),
            email: format!("{}.{}@{}", lf, ll, domain),
            username: format!("{}{}{}", lf, ll, number),
            phone,
            street: format!("{} {}", house, street),
            city: lists[4][r.intn(lists[4].len())].to_string(),
            country: lists[5][r.intn(lists[5].len())].to_string(),
        });
    }
    users
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic() {
        assert_eq!(generate(1, 3), generate(1, 3));
        assert_ne!(generate(1, 1), generate(2, 1));
        assert!(generate(7, 0).is_empty());
    }

    #[test]
    fn compact_json() {
        let u = &generate(42, 1)[0];
        assert_eq!(
            u.to_json(),
            r#"{"first_name":"Priya","last_name":"Eriksen","email":"priya.eriksen@example.net","username":"priyaeriksen34","phone":"2828362455","street":"6651 Harbour Road","city":"Coimbra","country":"Italy"}"#
        );
    }
}
