//! A JSON value written exactly as Go's `json.MarshalIndent(v, "", "  ")`
//! writes the corresponding Go value: object keys in the order given (a Go
//! struct's field order), two-space indent, empty arrays and objects as
//! `[]` / `{}`, strings escaped as `encoding/json` escapes them (`<`, `>`,
//! `&`, U+2028 and U+2029 as `\u003c`…; `\b \f \n \r \t`; other control
//! characters as `\u00XX`), floats as [`crate::gofloat::json_number`].
//! It does not parse JSON.

use crate::gofloat;

/// A JSON value. `Object` keeps its keys in order and may repeat none.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null` (a nil Go slice or pointer).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
    /// A float64, as Go's encoder writes it; NaN and ±Inf fail to encode.
    Float(f64),
    /// A string.
    Str(String),
    /// An array (a non-nil Go slice).
    Array(Vec<Json>),
    /// An object (a Go struct: fields in declaration order).
    Object(Vec<(String, Json)>),
}

impl Json {
    /// An object from (key, value) pairs, in order.
    pub fn object(fields: Vec<(&str, Json)>) -> Json {
        Json::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        )
    }

    /// An array of the items converted to Json.
    pub fn array<T: Into<Json>>(items: impl IntoIterator<Item = T>) -> Json {
        Json::Array(items.into_iter().map(Into::into).collect())
    }
}

impl From<bool> for Json {
    fn from(v: bool) -> Json {
        Json::Bool(v)
    }
}
impl From<i64> for Json {
    fn from(v: i64) -> Json {
        Json::Int(v)
    }
}
impl From<i32> for Json {
    fn from(v: i32) -> Json {
        Json::Int(v as i64)
    }
}
impl From<u64> for Json {
    fn from(v: u64) -> Json {
        Json::Uint(v)
    }
}
impl From<usize> for Json {
    fn from(v: usize) -> Json {
        Json::Uint(v as u64)
    }
}
impl From<f64> for Json {
    fn from(v: f64) -> Json {
        Json::Float(v)
    }
}
impl From<&str> for Json {
    fn from(v: &str) -> Json {
        Json::Str(v.to_string())
    }
}
impl From<String> for Json {
    fn from(v: String) -> Json {
        Json::Str(v)
    }
}

/// `json.MarshalIndent(v, "", "  ")` without the trailing newline.
///
/// # Errors
/// Go's text for a NaN or infinite float anywhere in v:
/// `json: unsupported value: NaN` (or `+Inf`, `-Inf`).
pub fn marshal_indent(v: &Json) -> Result<String, String> {
    let mut out = String::new();
    write(&mut out, v, 0)?;
    Ok(out)
}

fn newline(out: &mut String, depth: usize) {
    out.push('\n');
    for _ in 0..depth {
        out.push_str("  ");
    }
}

fn write(out: &mut String, v: &Json, depth: usize) -> Result<(), String> {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Int(i) => out.push_str(&i.to_string()),
        Json::Uint(u) => out.push_str(&u.to_string()),
        Json::Float(f) => match gofloat::json_number(*f) {
            Some(s) => out.push_str(&s),
            None => {
                return Err(format!(
                    "json: unsupported value: {}",
                    gofloat::format_float(*f, b'g', -1)
                ))
            }
        },
        Json::Str(s) => write_string(out, s),
        Json::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write(out, item, depth + 1)?;
            }
            newline(out, depth);
            out.push(']');
        }
        Json::Object(fields) => {
            if fields.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_string(out, k);
                out.push_str(": ");
                write(out, item, depth + 1)?;
            }
            newline(out, depth);
            out.push('}');
        }
    }
    Ok(())
}

/// Appends s as a JSON string escaped as Go's encoding/json does (with
/// HTML escaping, its default).
pub fn write_string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c if (c as u32) < 0x20 || c == '<' || c == '>' || c == '&' => {
                let b = c as u32 as u8;
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 15) as usize] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// testdata/strings.txt: hex bytes, Go's strconv.Quote, json.Marshal.
    #[test]
    fn strings_match_go() {
        for line in include_str!("../testdata/strings.txt").lines() {
            let f: Vec<&str> = line.split('\t').collect();
            let bytes: Vec<u8> = (0..f[0].len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&f[0][i..i + 2], 16).unwrap())
                .collect();
            let s = String::from_utf8(bytes).unwrap();
            let mut got = String::new();
            write_string(&mut got, &s);
            assert_eq!(got, f[2], "json of {:?}", s);
            assert_eq!(crate::params::go_quote(&s), f[1], "quote of {:?}", s);
        }
    }

    #[test]
    fn indent_like_go() {
        let v = Json::object(vec![
            ("n", Json::Int(3)),
            ("ok", true.into()),
            ("primes", Json::array(vec![2i64, 3])),
            ("none", Json::array(Vec::<i64>::new())),
            ("obj", Json::object(vec![])),
            ("f", 1e-7.into()),
            ("s", "<x>".into()),
            ("nil", Json::Null),
        ]);
        let want = "{\n  \"n\": 3,\n  \"ok\": true,\n  \"primes\": [\n    2,\n    3\n  ],\n  \"none\": [],\n  \"obj\": {},\n  \"f\": 1e-7,\n  \"s\": \"\\u003cx\\u003e\",\n  \"nil\": null\n}";
        assert_eq!(marshal_indent(&v).unwrap(), want);
        let bad = Json::array(vec![f64::NAN]);
        assert_eq!(
            marshal_indent(&bad).unwrap_err(),
            "json: unsupported value: NaN"
        );
    }
}
