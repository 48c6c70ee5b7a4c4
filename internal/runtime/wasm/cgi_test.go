package wasm

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

func TestParseCGIResponse(t *testing.T) {
	const def = "text/plain; charset=utf-8"
	cases := []struct {
		name, in   string
		status     int
		header     map[string]string
		body       string
		wantErr    bool
		defaultCT  string
		wantCTOnly bool
	}{
		{name: "plain body", in: "hello\nworld", status: 200, body: "hello\nworld", header: map[string]string{"Content-Type": def}},
		{name: "empty", in: "", status: 200, body: ""},
		{name: "header block", in: "Content-Type: application/json\nX-A: 1\n\n{}", status: 200, body: "{}",
			header: map[string]string{"Content-Type": "application/json", "X-A": "1"}},
		{name: "crlf block", in: "Status: 201 Created\r\nLocation: /x\r\n\r\nmade", status: 201, body: "made",
			header: map[string]string{"Location": "/x", "Content-Type": def}},
		{name: "status number only", in: "Status: 404\n\n", status: 404, body: ""},
		{name: "location means 302", in: "Location: /elsewhere\n\n", status: 302, body: "",
			header: map[string]string{"Location": "/elsewhere"}},
		{name: "lower-case names", in: "content-type: text/html\nx-y: z\n\n<p>", status: 200, body: "<p>",
			header: map[string]string{"Content-Type": "text/html", "X-Y": "z"}},
		{name: "no blank line", in: "Content-Type: text/html\nhello", status: 200, body: "Content-Type: text/html\nhello"},
		{name: "not a header", in: "hello world: yes\n\nbody", status: 200, body: "hello world: yes\n\nbody"},
		{name: "blank first line", in: "\nbody", status: 200, body: "\nbody"},
		{name: "json body", in: `{"a": 1}` + "\n\n", status: 200, body: `{"a": 1}` + "\n\n"},
		{name: "repeated header", in: "Set-Cookie: a=1\nSet-Cookie: b=2\n\nx", status: 200, body: "x"},
		{name: "framing dropped", in: "Content-Length: 99\nTransfer-Encoding: chunked\nConnection: close\nX-K: v\n\nab", status: 200,
			body: "ab", header: map[string]string{"Content-Length": "", "Transfer-Encoding": "", "Connection": "", "X-K": "v"}},
		{name: "bad status", in: "Status: abc\n\n", wantErr: true},
		{name: "status out of range", in: "Status: 42\n\n", wantErr: true},
		{name: "default content type", in: "x", status: 200, body: "x", defaultCT: "application/xml",
			header: map[string]string{"Content-Type": "application/xml"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ct := def
			if c.defaultCT != "" {
				ct = c.defaultCT
			}
			resp, err := ParseCGIResponse([]byte(c.in), ct)
			if c.wantErr {
				if err == nil {
					t.Fatalf("got %+v, want an error", resp)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != c.status || string(resp.Body) != c.body {
				t.Errorf("got %d %q, want %d %q", resp.Status, resp.Body, c.status, c.body)
			}
			for k, v := range c.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
		})
	}
	resp, _ := ParseCGIResponse([]byte("Set-Cookie: a=1\nSet-Cookie: b=2\n\n"), def)
	if got := resp.Header.Values("Set-Cookie"); len(got) != 2 {
		t.Errorf("repeated header values %v", got)
	}
}

func FuzzParseCGIResponse(f *testing.F) {
	for _, seed := range []string{
		"", "hello", "Status: 201 Created\r\nLocation: /x\r\n\r\nbody", "Content-Type: a/b\n\n",
		"Status: 99\n\n", "A: b\nC d\n\n", "\n\n", "Status: 200 OK\nStatus: 500\n\nx",
		"X: " + strings.Repeat("y", 70000) + "\n\nz",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		resp, err := ParseCGIResponse(in, "text/plain")
		if err != nil {
			return
		}
		if resp.Status < 100 || resp.Status > 999 {
			t.Fatalf("status %d out of range", resp.Status)
		}
		if resp.Header.Get("Content-Type") == "" {
			t.Fatal("no Content-Type")
		}
		if !bytes.HasSuffix(in, resp.Body) {
			t.Fatalf("body %q is not a suffix of stdout", resp.Body)
		}
		for k, vs := range resp.Header {
			if k != http.CanonicalHeaderKey(k) || strings.ContainsAny(k, " :\r\n") {
				t.Fatalf("bad header name %q", k)
			}
			for _, v := range vs {
				if strings.ContainsAny(v, "\n") {
					t.Fatalf("header %s value %q has a newline", k, v)
				}
			}
		}
		if len(resp.Body) < len(in) {
			// A header block was found: it must end with an empty line.
			head := in[:len(in)-len(resp.Body)]
			if !bytes.HasSuffix(head, []byte("\n\n")) && !bytes.HasSuffix(head, []byte("\n\r\n")) {
				t.Fatalf("header block %q does not end with an empty line", head)
			}
		}
	})
}
