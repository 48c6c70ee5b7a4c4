// Package golden reads and writes the golden answers that the Go and the
// Rust versions of a function are both tested against, so that the two stay
// byte for byte the same.
//
// A golden file is plain text, easy to parse in any language: a sequence of
// cases, each a header line
//
//	=== STATUS QUERY
//
// (QUERY is the raw query string, possibly empty) followed by the answer's
// body exactly, which ends with a newline. No body line may start with
// "=== ". The Rust tests parse the same files (functions/rust/*/tests).
//
// It does not run handlers; the function tests do, and regenerate a file
// with `go test -run Golden -update`.
package golden

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Case is one request and the answer it must get.
type Case struct {
	// Query is the raw query string, without '?'.
	Query string
	// Status is the HTTP status of the answer.
	Status int
	// Body is the answer's body, byte for byte.
	Body string
}

// ErrFormat is wrapped by the errors of Read for a malformed file.
var ErrFormat = errors.New("golden: bad format")

const header = "=== "

// Read parses the golden file at path.
func Read(path string) ([]Case, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("golden: %w", err)
	}
	return Parse(string(b))
}

// Parse parses the text of a golden file.
func Parse(text string) ([]Case, error) {
	var cases []Case
	for n, line := range strings.SplitAfter(text, "\n") {
		if line == "" {
			continue
		}
		if !strings.HasPrefix(line, header) {
			if len(cases) == 0 {
				return nil, fmt.Errorf("%w: line %d: body before the first header", ErrFormat, n+1)
			}
			cases[len(cases)-1].Body += line
			continue
		}
		status, query, _ := strings.Cut(strings.TrimSuffix(line[len(header):], "\n"), " ")
		code, err := strconv.Atoi(status)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: status %q", ErrFormat, n+1, status)
		}
		cases = append(cases, Case{Query: query, Status: code})
	}
	return cases, nil
}

// Format renders cases as the text of a golden file.
//
// # Errors
// ErrFormat when a body does not end with a newline or has a line that
// starts with "=== ", or a query holds a newline.
func Format(cases []Case) ([]byte, error) {
	var buf bytes.Buffer
	for _, c := range cases {
		if strings.Contains(c.Query, "\n") || !strings.HasSuffix(c.Body, "\n") ||
			strings.HasPrefix(c.Body, header) || strings.Contains(c.Body, "\n"+header) {
			return nil, fmt.Errorf("%w: case %q cannot be written", ErrFormat, c.Query)
		}
		fmt.Fprintf(&buf, "%s%d %s\n%s", header, c.Status, c.Query, c.Body)
	}
	return buf.Bytes(), nil
}

// Write writes cases to path as a golden file.
func Write(path string, cases []Case) error {
	b, err := Format(cases)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("golden: %w", err)
	}
	return nil
}
