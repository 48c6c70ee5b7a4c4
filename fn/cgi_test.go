package fn

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestReadEnvelope(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		wantVars [][2]string
		wantBody string
		wantErr  bool
	}{
		{"vars and body", "REQUEST_METHOD=POST\nQUERY_STRING=a=b&c=d\n\nhello\nworld", [][2]string{{"REQUEST_METHOD", "POST"}, {"QUERY_STRING", "a=b&c=d"}}, "hello\nworld", false},
		{"no body", "PATH_INFO=/x\n\n", [][2]string{{"PATH_INFO", "/x"}}, "", false},
		{"empty value", "HTTP_X_EMPTY=\n\n", [][2]string{{"HTTP_X_EMPTY", ""}}, "", false},
		{"only terminator", "\nbody", nil, "body", false},
		{"empty stdin", "", nil, "", false},
		{"missing terminator", "A=1\n", nil, "", true},
		{"line without equals", "NOEQUALS\n\n", nil, "", true},
		{"empty key", "=v\n\n", nil, "", true},
		{"line longer than the read buffer", "HTTP_X_LONG=" + strings.Repeat("v", 10000) + "\nA=1\n\nbody",
			[][2]string{{"HTTP_X_LONG", strings.Repeat("v", 10000)}, {"A", "1"}}, "body", false},
		{"missing terminator after a long line", "A=" + strings.Repeat("v", 5000), nil, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars, body, err := readEnvelope(strings.NewReader(tt.in))
			if tt.wantErr {
				if !errors.Is(err, errBadEnvelope) {
					t.Fatalf("err = %v, want errBadEnvelope", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(vars) != len(tt.wantVars) {
				t.Fatalf("vars = %q, want %q", vars, tt.wantVars)
			}
			for i := range vars {
				if vars[i] != tt.wantVars[i] {
					t.Errorf("var %d = %q, want %q", i, vars[i], tt.wantVars[i])
				}
			}
			got, _ := io.ReadAll(body)
			if string(got) != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
		})
	}
}

// TestEnvelopeReaderReuse: a reactor's envelopeReader serves call after
// call; a call's variables stay intact after the next call is read, and a
// call never sees the last one's body.
func TestEnvelopeReaderReuse(t *testing.T) {
	var er envelopeReader
	first, body, err := er.read(strings.NewReader("A=first\nB=" + strings.Repeat("b", 5000) + "\n\nunread body"))
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 2 || body == nil {
		t.Fatalf("first call: %q", first)
	}
	second, body, err := er.read(strings.NewReader("A=second\n\n2"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(body); string(got) != "2" || len(second) != 1 || second[0][1] != "second" {
		t.Errorf("second call: vars %q, body %q", second, got)
	}
	if first[0] != [2]string{"A", "first"} || first[1][1] != strings.Repeat("b", 5000) {
		t.Errorf("the first call's variables changed: %q", first[0])
	}
}

func mapLookup(m map[string]string) ([]string, func(string) (string, bool)) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	return names, func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestRequestFromCGI(t *testing.T) {
	tests := []struct {
		name       string
		vars       map[string]string
		body       string
		wantMethod string
		wantURI    string
		wantHost   string
		wantHeader map[string]string
		wantBody   string
		wantErr    bool
	}{
		{
			name: "wagi variables",
			vars: map[string]string{
				"REQUEST_METHOD": "POST", "PATH_INFO": "/sub/path", "QUERY_STRING": "n=100&x=%20y",
				"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": "4", "HTTP_HOST": "gw:8080",
				"HTTP_X_CALL_ID": "abc", "REMOTE_ADDR": "10.0.0.1:1234", "Http_X_Call_Id": "abc",
			},
			body: "{}{}extra", wantMethod: "POST", wantURI: "/sub/path?n=100&x=%20y", wantHost: "gw:8080",
			wantHeader: map[string]string{"Content-Type": "application/json", "X-Call-Id": "abc"},
			wantBody:   "{}{}",
		},
		{
			name: "watchdog fallbacks",
			vars: map[string]string{"Http_Method": "PUT", "Http_Path": "/w", "Http_Query": "q=1"},
			body: "all", wantMethod: "PUT", wantURI: "/w?q=1",
			wantHeader: map[string]string{}, wantBody: "all",
		},
		{
			name:       "defaults",
			vars:       map[string]string{},
			wantMethod: "GET", wantURI: "/", wantHeader: map[string]string{},
		},
		{
			name:    "bad length",
			vars:    map[string]string{"CONTENT_LENGTH": "-3"},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			names, lookup := mapLookup(tt.vars)
			r, err := requestFromCGI(names, lookup, strings.NewReader(tt.body))
			if tt.wantErr {
				if err == nil {
					t.Fatal("want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Method != tt.wantMethod || r.URL.RequestURI() != tt.wantURI || r.Host != tt.wantHost {
				t.Errorf("got %s %s host %q, want %s %s host %q", r.Method, r.URL.RequestURI(), r.Host, tt.wantMethod, tt.wantURI, tt.wantHost)
			}
			for k, v := range tt.wantHeader {
				if got := r.Header.Get(k); got != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			if r.Header.Get("Host") != "" {
				t.Error("Host must not stay in the header map")
			}
			got, _ := io.ReadAll(r.Body)
			if string(got) != tt.wantBody {
				t.Errorf("body = %q, want %q", got, tt.wantBody)
			}
		})
	}
}

func TestWriteCGI(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{
			name: "status and headers",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Location", "/users/1")
				w.Header().Add("X-Multi", "a")
				w.Header().Add("X-Multi", "b")
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				_, _ = w.Write([]byte(`{"id":1}`))
			},
			want: "Status: 201 Created\r\nContent-Type: application/json\r\nLocation: /users/1\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n{\"id\":1}",
		},
		{
			name:    "implicit 200 and sniffed type",
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "plain words") },
			want:    "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain words",
		},
		{
			name:    "nothing written",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			want:    "Status: 200 OK\r\n\r\n",
		},
		{
			name: "newline in header value is neutralised",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header()["X-Evil"] = []string{"a\r\nInjected: yes"}
				w.WriteHeader(http.StatusTeapot)
			},
			want: "Status: 418 I'm a teapot\r\nX-Evil: a  Injected: yes\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := serveCGI(tt.handler, nil, func(string) (string, bool) { return "", false }, strings.NewReader(""), &out); err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Errorf("got\n%q\nwant\n%q", out.String(), tt.want)
			}
		})
	}
}

// FuzzReadEnvelope: any stdin either is refused as a malformed envelope or
// splits into variables (a non-empty name without '=', nothing with a
// newline) and a body that together make up the input.
func FuzzReadEnvelope(f *testing.F) {
	for _, in := range []string{"A=1\nB=2\n\nbody", "", "\n", "NOEQ\n\n", "A=1\n", "K=" + strings.Repeat("v", 5000) + "\n\nx"} {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		vars, body, err := readEnvelope(strings.NewReader(in))
		if err != nil {
			if !errors.Is(err, errBadEnvelope) {
				t.Fatalf("error %v is not errBadEnvelope", err)
			}
			return
		}
		var b strings.Builder
		for _, kv := range vars {
			if kv[0] == "" || strings.ContainsAny(kv[0], "=\n") || strings.Contains(kv[1], "\n") {
				t.Fatalf("bad variable %q", kv)
			}
			b.WriteString(kv[0] + "=" + kv[1] + "\n")
		}
		rest, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		if in != "" {
			b.WriteString("\n")
		}
		b.Write(rest)
		if b.String() != in {
			t.Fatalf("variables %q and body %q do not make up the input %q", vars, rest, in)
		}
	})
}

// FuzzHeaderKey: headerKey is http.CanonicalHeaderKey of the name with '_'
// turned into '-', for any name.
func FuzzHeaderKey(f *testing.F) {
	for _, name := range []string{"X_CALL_ID", "CONTENT_MD5", "x-forwarded-for", "A", "_", "X__Y", "WWW_AUTHENTICATE2", "X Y", "ÜBER", "x\x00y", ""} {
		f.Add(name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got, want := headerKey(name), http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-")); got != want {
			t.Fatalf("headerKey(%q) = %q, want %q", name, got, want)
		}
	})
}

// TestIndexVars: each name once, in order of first appearance; a repeated
// name's last value wins.
func TestIndexVars(t *testing.T) {
	ev := indexVars([][2]string{{"A", "1"}, {"B", "2"}, {"A", "3"}})
	if strings.Join(ev.names, ",") != "A,B" || ev.values["A"] != "3" || ev.values["B"] != "2" {
		t.Errorf("names %q, values %q", ev.names, ev.values)
	}
	if v, ok := ev.lookup("A"); v != "3" || !ok {
		t.Errorf("lookup(A) = %q, %v", v, ok)
	}
	if _, ok := ev.lookup("C"); ok {
		t.Error("lookup(C) found a variable that is not there")
	}
}
