package function

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// The matching and ranking rule, implemented identically by the Rust version
// (functions/rust/fuzzysearch/src/search.rs); golden answers in
// functions/testdata/fuzzysearch keep the two in step.
//
//  1. Text and search: the bytes are decoded as UTF-8; every byte that does
//     not start a valid sequence becomes U+FFFD (as Go's range loop decodes).
//  2. Lines: the text is split at '\n' and numbered from 1; a trailing '\r'
//     is dropped; white space (Unicode White_Space) is trimmed at both ends;
//     empty lines are skipped but keep their number.
//  3. Folding: ASCII letters A–Z become a–z; every other character is kept
//     as it is (no Unicode case mapping, so both languages agree exactly).
//  4. Match: a line matches when the folded search is a subsequence of the
//     folded line (its characters appear in the line in order, gaps allowed).
//  5. Distance: the Levenshtein distance (unit insert, delete, substitute)
//     between the search and the line as written (not folded, so a line in
//     the search's own case ranks first), over characters.
//  6. Rank: smallest distance first, then the earliest line; the answer
//     lists the first maxShown and counts all matches.
//
// For ASCII text this is what github.com/lithammer/fuzzysearch's
// RankFindFold computed, which the function used before.

// line is one non-empty line of the text.
type line struct {
	number int
	text   string
}

// splitLines applies rules 1 and 2.
func splitLines(text []byte) []line {
	var lines []line
	for i, raw := range strings.Split(validUTF8(text), "\n") {
		if s := strings.TrimSpace(strings.TrimSuffix(raw, "\r")); s != "" {
			lines = append(lines, line{number: i + 1, text: s})
		}
	}
	return lines
}

// validUTF8 replaces each byte that does not start a valid UTF-8 sequence by
// U+FFFD.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 16)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		sb.WriteRune(r) // RuneError for an invalid byte, n == 1
		b = b[n:]
	}
	return sb.String()
}

// fold applies rule 3.
func fold(s string) []rune {
	rs := []rune(s)
	for i, r := range rs {
		if 'A' <= r && r <= 'Z' {
			rs[i] = r + ('a' - 'A')
		}
	}
	return rs
}

// isSubsequence reports whether every rune of needle appears in hay in order.
func isSubsequence(needle, hay []rune) bool {
	i := 0
	for _, r := range hay {
		if i == len(needle) {
			break
		}
		if r == needle[i] {
			i++
		}
	}
	return i == len(needle)
}

// levenshtein is the edit distance between a and b.
func levenshtein(a, b []rune) int {
	col := make([]int, len(a)+1)
	for i := range col {
		col[i] = i
	}
	for x := 1; x <= len(b); x++ {
		diag := col[0]
		col[0] = x
		for y := 1; y <= len(a); y++ {
			old := col[y]
			cost := 1
			if a[y-1] == b[x-1] {
				cost = 0
			}
			col[y] = min(col[y]+1, col[y-1]+1, diag+cost)
			diag = old
		}
	}
	return col[len(a)]
}

// Search matches search against every non-empty line of text by the rule
// above and returns the line count, the match count and the best maxShown
// matches.
func Search(search string, text []byte) Result {
	lines := splitLines(text)
	needle, exact := fold(search), []rune(search)
	var found []Match
	for _, l := range lines {
		if isSubsequence(needle, fold(l.text)) {
			found = append(found, Match{Line: l.number, Text: l.text, Distance: levenshtein(exact, []rune(l.text))})
		}
	}
	slices.SortStableFunc(found, func(a, b Match) int {
		if a.Distance != b.Distance {
			return a.Distance - b.Distance
		}
		return a.Line - b.Line
	})
	res := Result{Search: search, Lines: len(lines), Matches: len(found), Best: []Match{}}
	res.Best = append(res.Best, found[:min(maxShown, len(found))]...)
	return res
}
