package wasm

import (
	"bytes"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Request is one invocation's input, taken from an HTTP request by the caller.
type Request struct {
	// Method is the HTTP method ("GET", "POST", ...).
	Method string
	// Path is the URL path after the function prefix ("/", "/items/1").
	Path string
	// RawQuery is the URL-encoded query without '?'.
	RawQuery string
	// Host is the Host the client asked for.
	Host string
	// RemoteAddr is the client's "ip:port".
	RemoteAddr string
	// Header holds the request headers.
	Header http.Header
	// Body is the full request body.
	Body []byte
}

// Response is what the function answered.
type Response struct {
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers (at least Content-Type).
	Header http.Header
	// Body is the response body.
	Body []byte
}

// envVar is one KEY=VALUE pair handed to a guest.
type envVar struct{ key, value string }

// Formats of appendRequestEnv: a WASI environment (name NUL value NUL, see
// wasiContext.env) or a reactor's stdin envelope (name=value, one per line).
const (
	wasiEnv     = envFormat(0)
	envelopeEnv = envFormat('=')
)

// envFormat is the byte between a variable's name and value; a WASI
// environment ends each with NUL, an envelope with '\n'.
type envFormat byte

// envWriter appends variables to b in one envFormat and counts them.
type envWriter struct {
	b      []byte
	n      int
	format envFormat
}

// add appends name and value unless the variable is dropped: an empty name,
// a name holding '=', a value holding '\n' or '\r'.
func (w *envWriter) add(name, value string) {
	if name == "" || strings.IndexByte(name, '=') >= 0 || strings.ContainsAny(value, "\r\n") {
		return
	}
	start := len(w.b)
	w.b = append(w.b, name...)
	w.cut(start)
	w.b = append(w.b, byte(w.format))
	start = len(w.b)
	w.b = append(w.b, value...)
	w.end(start)
}

// addHeader appends the variable prefix+headerVarName(canon, upper) whose
// value is values joined by ", ", unless it is dropped as by add.
func (w *envWriter) addHeader(prefix, canon string, upper bool, values []string) {
	if strings.IndexByte(canon, '=') >= 0 {
		return
	}
	for _, v := range values {
		if strings.ContainsAny(v, "\r\n") {
			return
		}
	}
	start := len(w.b)
	w.b = appendHeaderVarName(append(w.b, prefix...), canon, upper)
	w.cut(start)
	w.b = append(w.b, byte(w.format))
	start = len(w.b)
	for i, v := range values {
		if i > 0 {
			w.b = append(w.b, ", "...)
		}
		w.b = append(w.b, v...)
	}
	w.end(start)
}

// cut ends the string written from start at its first NUL in a WASI
// environment, as a C string would.
func (w *envWriter) cut(start int) {
	if w.format == wasiEnv {
		if i := bytes.IndexByte(w.b[start:], 0); i >= 0 {
			w.b = w.b[:start+i]
		}
	}
}

// end cuts the value written from start (see cut) and ends the variable.
func (w *envWriter) end(start int) {
	w.cut(start)
	if w.format == wasiEnv {
		w.b = append(w.b, 0)
	} else {
		w.b = append(w.b, '\n')
	}
	w.n++
}

// appendHeaderVarName appends the variable name of the canonical header
// name canon: '-' turned into '_', and upper-cased when upper.
func appendHeaderVarName(b []byte, canon string, upper bool) []byte {
	for i := 0; i < len(canon); i++ {
		if canon[i] >= utf8.RuneSelf {
			name := strings.ReplaceAll(canon, "-", "_")
			if upper {
				name = strings.ToUpper(name)
			}
			return append(b, name...)
		}
	}
	for i := 0; i < len(canon); i++ {
		c := canon[i]
		switch {
		case c == '-':
			c = '_'
		case upper && 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		}
		b = append(b, c)
	}
	return b
}

// appendRequestEnv appends to b the variables of docs/abi.md for req in
// format: CGI/WAGI variables, the classic watchdog's Http_* variables, then
// the function's envVars (sorted, never overriding a request variable). It
// returns b and how many variables it appended. Variables whose value
// contains '\n' or '\r', or whose name is empty or holds '=', are dropped
// (a dropped request variable still keeps an envVar of its name out). In a
// WASI environment each name and value ends at its first NUL.
func appendRequestEnv(b []byte, req *Request, fnEnv []envVar, format envFormat) ([]byte, int) {
	path := req.Path
	if path == "" {
		path = "/"
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	w := envWriter{b: b, format: format}
	fixed := [...]envVar{
		{"REQUEST_METHOD", method},
		{"PATH_INFO", path},
		{"QUERY_STRING", req.RawQuery},
		{"CONTENT_TYPE", req.Header.Get("Content-Type")},
		{"CONTENT_LENGTH", strconv.Itoa(len(req.Body))},
		{"SERVER_PROTOCOL", "HTTP/1.1"},
		{"REMOTE_ADDR", req.RemoteAddr},
		{"HTTP_HOST", req.Host},
		{"Http_Method", method},
		{"Http_Path", path},
		{"Http_Query", req.RawQuery},
	}
	for _, v := range fixed {
		w.add(v.key, v.value)
	}
	var local [32]string
	names := local[:0]
	for name := range req.Header {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		canon := http.CanonicalHeaderKey(name)
		if canon == "Host" {
			continue
		}
		w.addHeader("HTTP_", canon, true, req.Header[name])
		w.addHeader("Http_", canon, false, req.Header[name])
	}
	for _, v := range fnEnv {
		if !isRequestVar(v.key, fixed[:], names) {
			w.add(v.key, v.value)
		}
	}
	return w.b, w.n
}

// isRequestVar reports whether name is one of the request's variables:
// one of fixed or a header variable of one of the header names.
func isRequestVar(name string, fixed []envVar, headerNames []string) bool {
	for _, v := range fixed {
		if v.key == name {
			return true
		}
	}
	prefix, upper := "", false
	switch {
	case strings.HasPrefix(name, "HTTP_"):
		prefix, upper = "HTTP_", true
	case strings.HasPrefix(name, "Http_"):
		prefix = "Http_"
	default:
		return false
	}
	var scratch [64]byte
	for _, h := range headerNames {
		canon := http.CanonicalHeaderKey(h)
		if canon != "Host" && string(appendHeaderVarName(append(scratch[:0], prefix...), canon, upper)) == name {
			return true
		}
	}
	return false
}

// appendEnvelope appends a reactor's stdin for req to b: the variables of
// appendRequestEnv as name=value lines, an empty line, the body.
func appendEnvelope(b []byte, req *Request, fnEnv []envVar) []byte {
	b, _ = appendRequestEnv(b, req, fnEnv, envelopeEnv)
	b = append(b, '\n')
	return append(b, req.Body...)
}

// sortedEnv turns a function's envVars into a sorted list.
func sortedEnv(m map[string]string) []envVar {
	out := make([]envVar, 0, len(m))
	for k, v := range m {
		out = append(out, envVar{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out
}
