package wasm

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
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

// requestEnv returns the variables of docs/abi.md for req: CGI/WAGI
// variables, the classic watchdog's Http_* variables, then the function's
// envVars (sorted, never overriding a request variable). Variables whose
// value contains '\n' or '\r' are dropped.
func requestEnv(req *Request, fnEnv []envVar) []envVar {
	path := req.Path
	if path == "" {
		path = "/"
	}
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	env := make([]envVar, 0, 16+2*len(req.Header)+len(fnEnv))
	env = append(env,
		envVar{"REQUEST_METHOD", method},
		envVar{"PATH_INFO", path},
		envVar{"QUERY_STRING", req.RawQuery},
		envVar{"CONTENT_TYPE", req.Header.Get("Content-Type")},
		envVar{"CONTENT_LENGTH", strconv.Itoa(len(req.Body))},
		envVar{"SERVER_PROTOCOL", "HTTP/1.1"},
		envVar{"REMOTE_ADDR", req.RemoteAddr},
		envVar{"HTTP_HOST", req.Host},
		envVar{"Http_Method", method},
		envVar{"Http_Path", path},
		envVar{"Http_Query", req.RawQuery},
	)
	names := make([]string, 0, len(req.Header))
	for name := range req.Header {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		value := strings.Join(req.Header[name], ", ")
		canon := http.CanonicalHeaderKey(name)
		if canon == "Host" {
			continue
		}
		underscored := strings.ReplaceAll(canon, "-", "_")
		env = append(env,
			envVar{"HTTP_" + strings.ToUpper(underscored), value},
			envVar{"Http_" + underscored, value},
		)
	}
	if len(fnEnv) > 0 {
		seen := make(map[string]bool, len(env))
		for _, v := range env {
			seen[v.key] = true
		}
		for _, v := range fnEnv {
			if !seen[v.key] {
				env = append(env, v)
			}
		}
	}
	out := env[:0]
	for _, v := range env {
		if !strings.ContainsAny(v.value, "\r\n") && v.key != "" && !strings.Contains(v.key, "=") {
			out = append(out, v)
		}
	}
	return out
}

// envelope builds a reactor's stdin: KEY=VALUE lines, an empty line, the body.
func envelope(env []envVar, body []byte) []byte {
	n := len(body) + 1
	for _, v := range env {
		n += len(v.key) + len(v.value) + 2
	}
	b := make([]byte, 0, n)
	for _, v := range env {
		b = append(b, v.key...)
		b = append(b, '=')
		b = append(b, v.value...)
		b = append(b, '\n')
	}
	b = append(b, '\n')
	return append(b, body...)
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
