package wasm

import (
	"bytes"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
)

// maxHeaderBlock bounds how far into stdout a CGI header block is looked for.
const maxHeaderBlock = 64 << 10

// ParseCGIResponse turns a guest's stdout into a response, as docs/abi.md
// describes. If stdout starts with a CGI header block — "Name: value" lines
// ended by an empty line ("\n\n" or "\r\n\r\n") — the block is parsed: a
// Status header ("201 Created" or "201") sets the status, a Location without
// Status means 302, framing headers (Content-Length, Transfer-Encoding,
// Connection) are dropped, other headers are copied, and the rest is the body.
// Otherwise all of stdout is the body with status 200. Content-Type defaults
// to defaultContentType. The returned body aliases stdout.
//
// # Errors
// When the header block carries a Status that is not a number in 100..999.
func ParseCGIResponse(stdout []byte, defaultContentType string) (*Response, error) {
	resp := &Response{Status: http.StatusOK, Body: stdout}
	n, end := headerBlock(stdout)
	if n == 0 {
		resp.Header = http.Header{"Content-Type": {defaultContentType}}
		return resp, nil
	}
	resp.Body = stdout[end:]
	resp.Header = make(http.Header, n+1)
	// One string for the whole block and one array for the values: names and
	// values are slices of them rather than an allocation each.
	block := string(stdout[:end])
	values := make([]string, 0, n)
	hasStatus := false
	for line := range strings.Lines(block) {
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			break
		}
		name, value, _ := strings.Cut(line, ":")
		name = textproto.CanonicalMIMEHeaderKey(name)
		value = strings.TrimSpace(value)
		switch name {
		case "Status":
			code, err := parseStatus(value)
			if err != nil {
				return nil, err
			}
			resp.Status, hasStatus = code, true
		case "Content-Length", "Transfer-Encoding", "Connection":
			// Framing belongs to the HTTP layer, which knows the body.
		default:
			if vs, ok := resp.Header[name]; ok {
				resp.Header[name] = append(vs, value)
			} else {
				values = append(values, value)
				resp.Header[name] = values[len(values)-1 : len(values) : len(values)]
			}
		}
	}
	if !hasStatus && resp.Header.Get("Location") != "" {
		resp.Status = http.StatusFound
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", defaultContentType)
	}
	return resp, nil
}

func parseStatus(v string) (int, error) {
	num, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	code, err := strconv.Atoi(num)
	if err != nil || code < 100 || code > 999 {
		return 0, fmt.Errorf("CGI response has an invalid Status header %q", v)
	}
	return code, nil
}

// headerBlock finds a leading header block and returns how many header lines
// it has and its length, the empty line that ends it included. It returns
// 0, 0 when stdout does not start with one: no empty line within
// maxHeaderBlock bytes, no header before it, or a line that is not
// "Name: value".
func headerBlock(stdout []byte) (n, end int) {
	window := stdout[:min(len(stdout), maxHeaderBlock)]
	for {
		i := bytes.IndexByte(window[end:], '\n')
		if i < 0 {
			return 0, 0
		}
		line := bytes.TrimSuffix(window[end:end+i], []byte{'\r'})
		end += i + 1
		if len(line) == 0 {
			if n == 0 {
				return 0, 0
			}
			return n, end
		}
		name, _, ok := bytes.Cut(line, []byte{':'})
		if !ok || !validHeaderName(name) {
			return 0, 0
		}
		n++
	}
}

// validHeaderName reports whether b is an HTTP token.
func validHeaderName(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}
