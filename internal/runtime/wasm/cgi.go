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
	resp := &Response{Status: http.StatusOK, Header: http.Header{}, Body: stdout}
	header, body, ok := splitHeaderBlock(stdout)
	if ok {
		resp.Body = body
		for _, kv := range header {
			switch kv[0] {
			case "Status":
				code, err := parseStatus(kv[1])
				if err != nil {
					return nil, err
				}
				resp.Status = code
			case "Content-Length", "Transfer-Encoding", "Connection":
				// Framing belongs to the HTTP layer, which knows the body.
			default:
				resp.Header.Add(kv[0], kv[1])
			}
		}
		if resp.Header.Get("Location") != "" && !hasStatus(header) {
			resp.Status = http.StatusFound
		}
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", defaultContentType)
	}
	return resp, nil
}

func hasStatus(header [][2]string) bool {
	for _, kv := range header {
		if kv[0] == "Status" {
			return true
		}
	}
	return false
}

func parseStatus(v string) (int, error) {
	num, _, _ := strings.Cut(strings.TrimSpace(v), " ")
	code, err := strconv.Atoi(num)
	if err != nil || code < 100 || code > 999 {
		return 0, fmt.Errorf("CGI response has an invalid Status header %q", v)
	}
	return code, nil
}

// splitHeaderBlock finds a leading header block. It reports false when
// stdout does not start with one: no empty line within maxHeaderBlock bytes,
// no header before it, or a line that is not "Name: value".
func splitHeaderBlock(stdout []byte) ([][2]string, []byte, bool) {
	window := stdout
	if len(window) > maxHeaderBlock {
		window = window[:maxHeaderBlock]
	}
	var header [][2]string
	rest := window
	consumed := 0
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return nil, nil, false
		}
		line := rest[:i]
		consumed += i + 1
		rest = rest[i+1:]
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(line) == 0 {
			if len(header) == 0 {
				return nil, nil, false
			}
			return header, stdout[consumed:], true
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !validHeaderName(name) {
			return nil, nil, false
		}
		header = append(header, [2]string{
			textproto.CanonicalMIMEHeaderKey(string(name)),
			string(bytes.TrimSpace(value)),
		})
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
