package main

import (
	"fmt"
	"strconv"
	"strings"
)

// A tomlLine is one statement of a TOML document as far as the installer
// cares: a table header or a key/value assignment, with the lines it spans.
// The scanner reads only the structure (headers, keys, where values end); it
// never rewrites a value it did not write, so comments, ordering and
// formatting of the node's configuration are kept as they are.
type tomlLine struct {
	// first and last are 0-based line numbers; last > first for values that
	// span lines (arrays, multi-line strings).
	first, last int
	// header is true for [table] and [[array]] headers.
	header, array bool
	// path is the header's key path, or the assignment's full path (the
	// current table's path followed by the dotted key).
	path []string
	// key is the assignment's dotted key as written, split (nil for headers).
	key []string
	// value is the assignment's raw value text without a trailing comment.
	value string
}

// scanTOML splits a document into header and assignment statements. It
// handles what containerd configurations use: bare, basic ("…") and literal
// ('…') keys, dotted keys, comments, and values spanning lines (arrays,
// inline tables, multi-line strings).
//
// # Errors
// A malformed header or key, or a string, array or inline table left open at
// the end of the document, with the 1-based line number.
func scanTOML(doc string) ([]tomlLine, error) {
	lines := strings.Split(doc, "\n")
	var out []tomlLine
	var table []string
	for i := 0; i < len(lines); i++ {
		s := strings.TrimSpace(lines[i])
		if s == "" || s[0] == '#' {
			continue
		}
		if s[0] == '[' {
			array := strings.HasPrefix(s, "[[")
			rest := s[1:]
			if array {
				rest = s[2:]
			}
			path, after, err := parseKey(rest)
			if err != nil {
				return nil, fmt.Errorf("line %d: table header: %w", i+1, err)
			}
			closing := "]"
			if array {
				closing = "]]"
			}
			if !strings.HasPrefix(after, closing) {
				return nil, fmt.Errorf("line %d: table header: want %q", i+1, closing)
			}
			if tail := strings.TrimSpace(after[len(closing):]); tail != "" && tail[0] != '#' {
				return nil, fmt.Errorf("line %d: text after the table header", i+1)
			}
			table = path
			out = append(out, tomlLine{first: i, last: i, header: true, array: array, path: path})
			continue
		}
		key, after, err := parseKey(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: key: %w", i+1, err)
		}
		if !strings.HasPrefix(after, "=") {
			return nil, fmt.Errorf("line %d: want '=' after the key", i+1)
		}
		// The value: follow strings and brackets, across lines if needed.
		var value strings.Builder
		last := i
		text := strings.TrimLeft(after[1:], " \t")
		st := valueState{}
		for {
			done, kept := st.feed(text)
			value.WriteString(kept)
			if done {
				break
			}
			last++
			if last >= len(lines) {
				return nil, fmt.Errorf("line %d: value not closed at the end of the document", i+1)
			}
			value.WriteByte('\n')
			text = lines[last]
		}
		full := append(append([]string(nil), table...), key...)
		out = append(out, tomlLine{first: i, last: last, path: full, key: key, value: strings.TrimSpace(value.String())})
		i = last
	}
	return out, nil
}

// valueState tracks an assignment's value across lines.
type valueState struct {
	depth int    // open [ and {
	str   string // the open multi-line string delimiter, `"""` or `'''`
}

// feed consumes one line of a value; it returns whether the value ends on
// this line and the line's text without its comment.
func (v *valueState) feed(line string) (bool, string) {
	i := 0
	for i < len(line) {
		if v.str != "" {
			j := strings.Index(line[i:], v.str)
			if j < 0 {
				return false, line
			}
			if v.str == `"""` && escaped(line[:i+j]) {
				i += j + 1
				continue
			}
			i += j + 3
			for i < len(line) && line[i] == v.str[0] { // """" ends with a quote in the string
				i++
			}
			v.str = ""
			continue
		}
		switch c := line[i]; c {
		case '#':
			return v.depth == 0, line[:i]
		case '[', '{':
			v.depth++
		case ']', '}':
			v.depth--
		case '"', '\'':
			delim := line[i : i+1]
			if strings.HasPrefix(line[i:], delim+delim+delim) {
				v.str = delim + delim + delim
				i += 3
				continue
			}
			end := closeQuote(line, i)
			if end < 0 {
				return true, line // an unterminated string: left for containerd to report
			}
			i = end
		}
		i++
	}
	return v.depth <= 0 && v.str == "", line
}

// escaped tells whether the text ends in an odd number of backslashes.
func escaped(s string) bool {
	n := 0
	for n < len(s) && s[len(s)-1-n] == '\\' {
		n++
	}
	return n%2 == 1
}

// closeQuote returns the index of the quote closing the one-line string that
// opens at s[start], or -1.
func closeQuote(s string, start int) int {
	q := s[start]
	for i := start + 1; i < len(s); i++ {
		if q == '"' && s[i] == '\\' {
			i++
			continue
		}
		if s[i] == q {
			return i
		}
	}
	return -1
}

// parseKey reads a dotted key at the start of s and returns its parts and
// the text after it (leading blanks removed).
func parseKey(s string) ([]string, string, error) {
	var parts []string
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return nil, "", fmt.Errorf("missing key")
		}
		var part string
		switch s[0] {
		case '"':
			end := closeQuote(s, 0)
			if end < 0 {
				return nil, "", fmt.Errorf("unterminated quoted key")
			}
			u, err := strconv.Unquote(s[:end+1])
			if err != nil {
				return nil, "", fmt.Errorf("quoted key %s: %w", s[:end+1], err)
			}
			part, s = u, s[end+1:]
		case '\'':
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", fmt.Errorf("unterminated literal key")
			}
			part, s = s[1:end+1], s[end+2:]
		default:
			n := 0
			for n < len(s) && isBare(s[n]) {
				n++
			}
			if n == 0 {
				return nil, "", fmt.Errorf("unexpected %q", s[0])
			}
			part, s = s[:n], s[n:]
		}
		parts = append(parts, part)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return parts, s, nil
		}
		s = s[1:]
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// hasPrefix tells whether path starts with prefix.
func hasPrefix(path, prefix []string) bool {
	if len(path) < len(prefix) {
		return false
	}
	for i := range prefix {
		if path[i] != prefix[i] {
			return false
		}
	}
	return true
}

func samePath(a, b []string) bool { return len(a) == len(b) && hasPrefix(a, b) }
