package wasm

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestAppendRequestEnv checks the variables a call gets, in both forms:
// order, header variables, what is dropped, and that the function's
// envVars never override a request variable, even a dropped one.
func TestAppendRequestEnv(t *testing.T) {
	req := &Request{
		Method: "POST", Path: "/p", RawQuery: "a=1", Host: "gw", RemoteAddr: "10.0.0.1:9",
		Header: http.Header{
			"Content-Type": {"text/plain"},
			"X-Multi":      {"a", "b"},
			"x-lower":      {"v"},
			"Host":         {"ignored"},
			"X-Evil":       {"a\nb"},
			"X-Nul":        {"a\x00EVIL=1"},
			"X-Ünï":        {"u"},
		},
		Body: []byte("body"),
	}
	fnEnv := sortedEnv(map[string]string{
		"MY_VAR": "x", "REQUEST_METHOD": "no", "HTTP_X_MULTI": "no", "Http_X_Multi": "no",
		"HTTP_X_EVIL": "no", "Http_X_Lower": "no", "BAD": "a\rb", "A=B": "no", "": "no",
	})
	want := []string{
		"REQUEST_METHOD=POST", "PATH_INFO=/p", "QUERY_STRING=a=1", "CONTENT_TYPE=text/plain",
		"CONTENT_LENGTH=4", "SERVER_PROTOCOL=HTTP/1.1", "REMOTE_ADDR=10.0.0.1:9", "HTTP_HOST=gw",
		"Http_Method=POST", "Http_Path=/p", "Http_Query=a=1",
		"HTTP_CONTENT_TYPE=text/plain", "Http_Content_Type=text/plain",
		"HTTP_X_MULTI=a, b", "Http_X_Multi=a, b",
		"HTTP_X_NUL=a", "Http_X_Nul=a",
		"HTTP_X_ÜNÏ=u", "Http_X_Ünï=u",
		"HTTP_X_LOWER=v", "Http_X_Lower=v",
		"MY_VAR=x",
	}
	b, n := appendRequestEnv([]byte("kept"), req, fnEnv, wasiEnv)
	if !strings.HasPrefix(string(b), "kept") {
		t.Fatalf("appendRequestEnv overwrote the buffer's content: %q", b)
	}
	fields := strings.Split(strings.TrimSuffix(string(b[len("kept"):]), "\x00"), "\x00")
	var got []string
	for i := 0; i+1 < len(fields); i += 2 {
		got = append(got, fields[i]+"="+fields[i+1])
	}
	if n != len(got) || !slices.Equal(got, want) {
		t.Errorf("WASI environment (%d variables):\n got %q\nwant %q", n, got, want)
	}

	env := appendEnvelope(nil, req, fnEnv)
	head, body, ok := strings.Cut(string(env), "\n\n")
	if !ok || body != "body" {
		t.Fatalf("envelope %q: no empty line before the body", env)
	}
	lines := strings.Split(head, "\n")
	wantLines := slices.Clone(want)
	wantLines[15], wantLines[16] = "HTTP_X_NUL=a\x00EVIL=1", "Http_X_Nul=a\x00EVIL=1" // only C strings end at NUL
	if !slices.Equal(lines, wantLines) {
		t.Errorf("envelope:\n got %q\nwant %q", lines, wantLines)
	}
}

// BenchmarkAppendRequestEnv measures a command's environment for a
// request with a gateway's usual headers.
func BenchmarkAppendRequestEnv(b *testing.B) {
	req := &Request{Method: "GET", Path: "/", RawQuery: "n=1000", Host: "gw:8080", RemoteAddr: "10.0.0.1:4567",
		Header: http.Header{"User-Agent": {"Go-http-client/1.1"}, "Accept-Encoding": {"gzip"},
			"X-Forwarded-For": {"10.0.0.2"}, "X-Call-Id": {"6f1c2a"}, "X-Start-Time": {"1765000000000000000"}}}
	fnEnv := sortedEnv(map[string]string{"write_debug": "false", "content_type": "application/json"})
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendRequestEnv(buf[:0], req, fnEnv, wasiEnv)
	}
}
