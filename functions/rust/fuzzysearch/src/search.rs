//! The matching and ranking rule of functions/go/fuzzysearch/function/search.go,
//! implemented the same way (golden answers in functions/testdata/fuzzysearch):
//!
//! 1. Text: UTF-8, each byte that does not start a valid sequence is U+FFFD.
//! 2. Lines: split at `\n`, numbered from 1; a trailing `\r` dropped; white
//!    space (Unicode White_Space) trimmed at both ends; empty lines skipped
//!    but counted.
//! 3. Folding: ASCII A–Z become a–z, nothing else changes.
//! 4. Match: the folded search is a subsequence of the folded line.
//! 5. Distance: Levenshtein (unit costs) between the search and the line as
//!    written, over characters.
//! 6. Rank: smallest distance, then earliest line; the first MAX_SHOWN are
//!    listed, all are counted.

use common::goquery::valid_utf8;

/// How many of the best matches the answer lists.
pub const MAX_SHOWN: usize = 10;

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub line: usize,
    pub text: String,
    pub distance: usize,
}

/// The answer: the line count, the match count and the best matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub lines: usize,
    pub matches: usize,
    pub best: Vec<Match>,
}

fn fold(s: &str) -> Vec<char> {
    s.chars().map(|c| c.to_ascii_lowercase()).collect()
}

fn is_subsequence(needle: &[char], hay: &[char]) -> bool {
    let mut i = 0;
    for c in hay {
        if i == needle.len() {
            break;
        }
        if *c == needle[i] {
            i += 1;
        }
    }
    i == needle.len()
}

fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut col: Vec<usize> = (0..=a.len()).collect();
    for (x, cb) in b.iter().enumerate() {
        let mut diag = col[0];
        col[0] = x + 1;
        for y in 1..=a.len() {
            let old = col[y];
            let cost = if a[y - 1] == *cb { 0 } else { 1 };
            col[y] = (col[y] + 1).min(col[y - 1] + 1).min(diag + cost);
            diag = old;
        }
    }
    col[a.len()]
}

/// Searches text for search by the rule above.
pub fn search(search: &str, text: &[u8]) -> Found {
    let text = valid_utf8(text);
    let needle = fold(search);
    let exact: Vec<char> = search.chars().collect();
    let mut lines = 0;
    let mut found = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw).trim();
        if line.is_empty() {
            continue;
        }
        lines += 1;
        if is_subsequence(&needle, &fold(line)) {
            let chars: Vec<char> = line.chars().collect();
            found.push(Match { line: i + 1, text: line.to_string(), distance: levenshtein(&exact, &chars) });
        }
    }
    found.sort_by(|a, b| a.distance.cmp(&b.distance).then(a.line.cmp(&b.line)));
    let matches = found.len();
    found.truncate(MAX_SHOWN);
    Found { lines, matches, best: found }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_text() {
        let got = search("hamlet", b"alpha\n\n  Hamlet speaks  \nham let\nnothing\n");
        assert_eq!((got.lines, got.matches), (4, 2));
        assert_eq!((got.best[0].line, got.best[0].text.as_str(), got.best[0].distance), (4, "ham let", 1));
        assert_eq!(got.best[1].line, 3);
        assert_eq!(search("zzz", b"abc").matches, 0);
    }

    #[test]
    fn edit_distance() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(levenshtein(&c("kitten"), &c("sitting")), 3);
        assert_eq!(levenshtein(&c(""), &c("abc")), 3);
        assert_eq!(levenshtein(&c("Hamlet"), &c("HAMLET.")), 6);
    }
}
