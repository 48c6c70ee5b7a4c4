package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestInvoke(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		want                     int
		wantPath, wantRawPath    string
		wantQuery, wantCallID    string
		wantAuth                 string
	}{
		{name: "root", method: "GET", path: "/function/echo", want: 200, wantPath: "/"},
		{name: "namespace and sub-path", method: "POST", path: "/function/dev-fn.dev/api/v1/items?x=1&y=a%20b", body: "hello",
			want: 200, wantPath: "/api/v1/items", wantQuery: "x=1&y=a%20b"},
		{name: "trailing slash", method: "PUT", path: "/function/echo/", want: 200, wantPath: "/"},
		{name: "double slash kept", method: "GET", path: "/function/echo//a//b", want: 200, wantPath: "//a//b"},
		{name: "encoded slash kept raw", method: "GET", path: "/function/echo/a%2Fb", want: 200, wantPath: "/a/b", wantRawPath: "/a%2Fb"},
		{name: "query only", method: "DELETE", path: "/function/echo.openfaas-fn?q=1", want: 200, wantPath: "/", wantQuery: "q=1"},
		{name: "call id kept", method: "GET", path: "/function/echo", header: []string{"X-Call-Id", "abc-123"}, want: 200, wantPath: "/", wantCallID: "abc-123"},
		{name: "empty bearer dropped", method: "GET", path: "/function/echo", header: []string{"Authorization", "Bearer "}, want: 200, wantPath: "/"},
		{name: "bearer kept", method: "GET", path: "/function/echo", header: []string{"Authorization", "Bearer tok"}, want: 200, wantPath: "/", wantAuth: "Bearer tok"},
		{name: "patch", method: "PATCH", path: "/function/echo", want: 200, wantPath: "/"},
		{name: "options", method: "OPTIONS", path: "/function/echo", want: 200, wantPath: "/"},
		{name: "head", method: "HEAD", path: "/function/echo", want: 200},
		{name: "trace not allowed", method: "TRACE", path: "/function/echo", want: 405},
		{name: "custom method not allowed", method: "PROPFIND", path: "/function/echo", want: 405},
		{name: "unknown function", method: "GET", path: "/function/nope", want: 404},
		{name: "unknown namespace", method: "GET", path: "/function/echo.nope", want: 404},
		{name: "bad name", method: "GET", path: "/function/Echo_1", want: 400},
		{name: "no name", method: "GET", path: "/function/", want: 400},
		{name: "declared body too large", method: "POST", path: "/function/echo", body: strings.Repeat("x", 65), want: 413},
		{name: "body at limit", method: "POST", path: "/function/echo", body: strings.Repeat("x", 64), want: 200, wantPath: "/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{MaxBodyBytes: 64})
			e.deploy("echo", "", nil)
			e.deploy("dev-fn", "dev", nil)
			before := time.Now().UnixNano()
			resp, body := e.do(tc.method, tc.path, tc.body, tc.header...)
			after := time.Now().UnixNano()
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tc.want)
			}
			if tc.want == 405 && resp.Header.Get("Allow") != allowedInvokeMethods {
				t.Fatalf("405 without Allow header")
			}
			if tc.want != 405 && (resp.Header.Get(HeaderCallID) == "" || resp.Header.Get(HeaderStartTime) == "") {
				t.Fatalf("answer %d lacks %s or %s", resp.StatusCode, HeaderCallID, HeaderStartTime)
			}
			if tc.want != 200 {
				if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || body == "" {
					t.Fatalf("error answer %q %q, want a text/plain message", resp.Header.Get("Content-Type"), body)
				}
				return
			}
			callID, start := resp.Header.Get(HeaderCallID), resp.Header.Get(HeaderStartTime)
			if tc.wantCallID != "" && callID != tc.wantCallID {
				t.Fatalf("X-Call-Id %q, want %q", callID, tc.wantCallID)
			}
			if tc.wantCallID == "" && !uuidV4.MatchString(callID) {
				t.Fatalf("generated X-Call-Id %q is not a UUIDv4", callID)
			}
			if ns, err := strconv.ParseInt(start, 10, 64); err != nil || ns < before || ns > after {
				t.Fatalf("X-Start-Time %q not within [%d, %d]", start, before, after)
			}
			if resp.Header.Get("X-Duration-Seconds") == "" {
				t.Fatal("function response headers not passed through")
			}
			if tc.method == "HEAD" {
				return
			}
			var got echo
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatalf("function answer %q: %v", body, err)
			}
			if got.Method != tc.method || got.Path != tc.wantPath || got.RawPath != tc.wantRawPath || got.Query != tc.wantQuery || got.Body != tc.body {
				t.Fatalf("function saw %s %q raw %q query %q body %q; want %s %q raw %q query %q body %q",
					got.Method, got.Path, got.RawPath, got.Query, got.Body, tc.method, tc.wantPath, tc.wantRawPath, tc.wantQuery, tc.body)
			}
			wantURI := tc.wantPath
			if tc.wantRawPath != "" {
				wantURI = tc.wantRawPath
			}
			if tc.wantQuery != "" {
				wantURI += "?" + tc.wantQuery
			}
			if got.RequestURI != wantURI {
				t.Fatalf("RequestURI %q, want %q", got.RequestURI, wantURI)
			}
			if got.Header.Get(HeaderCallID) != callID || got.Header.Get(HeaderStartTime) != start {
				t.Fatalf("function saw call id %q start %q, response has %q %q",
					got.Header.Get(HeaderCallID), got.Header.Get(HeaderStartTime), callID, start)
			}
			if a := got.Header.Get("Authorization"); a != tc.wantAuth {
				t.Fatalf("function saw Authorization %q, want %q", a, tc.wantAuth)
			}
		})
	}
}

// chunked hides a body's length so the client sends it chunked.
type chunked struct{ io.Reader }

func TestInvokeChunkedBody(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		want int
	}{
		{"under limit", 100, 200},
		{"at limit", 1024, 200},
		{"over limit", 1025, 413},
		{"far over limit", 1 << 20, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{MaxBodyBytes: 1024})
			e.deploy("echo", "", nil)
			req, err := http.NewRequest("POST", e.srv.URL+"/function/echo", chunked{strings.NewReader(strings.Repeat("y", tc.size))})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, b, tc.want)
			}
			if tc.want == 200 {
				var got echo
				if err := json.Unmarshal(b, &got); err != nil || len(got.Body) != tc.size || got.ContentLength != int64(tc.size) {
					t.Fatalf("function got %d bytes, ContentLength %d (%v), want %d", len(got.Body), got.ContentLength, err, tc.size)
				}
			}
		})
	}
}

func TestScaleFromZero(t *testing.T) {
	for _, tc := range []struct {
		name       string
		labels     map[string]string
		readyDelay time.Duration
		timeout    time.Duration
		want       int
		wantScale  []uint64
	}{
		{"wakes to 1", map[string]string{provider.LabelScaleMin: "0"}, 50 * time.Millisecond, 5 * time.Second, 200, []uint64{1}},
		{"wakes to scale.min", map[string]string{provider.LabelScaleMin: "3"}, 0, 5 * time.Second, 200, []uint64{3}},
		{"not ready in time", map[string]string{provider.LabelScaleMin: "0"}, time.Hour, 150 * time.Millisecond, 503, []uint64{1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{ScaleFromZeroTimeout: tc.timeout})
			e.deploy("echo", "", tc.labels)
			e.fb.functions[key("echo", provider.DefaultNamespace)].status.Replicas = 0
			e.fb.readyDelay = tc.readyDelay
			resp, body := e.do("POST", "/function/echo", "wake up")
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tc.want)
			}
			if tc.want == 503 && body != "No endpoints available for: echo.\n" {
				t.Fatalf("503 body %q", body)
			}
			if got := e.fb.scaleCalls(); !slices.Equal(got, tc.wantScale) {
				t.Fatalf("scale calls %v, want %v", got, tc.wantScale)
			}
		})
	}
}

// TestScaleFromZeroNoStorm sends concurrent calls to two scaled-to-zero
// functions: all are answered and each function is scaled exactly once.
func TestScaleFromZeroNoStorm(t *testing.T) {
	e := newEnv(t, Config{ScaleFromZeroTimeout: 5 * time.Second})
	for _, name := range []string{"echo", "other"} {
		e.deploy(name, "", map[string]string{provider.LabelScaleMin: "0"})
		e.fb.functions[key(name, provider.DefaultNamespace)].status.Replicas = 0
	}
	e.fb.readyDelay = 100 * time.Millisecond
	const callers = 30
	var wg sync.WaitGroup
	codes := make(chan int, callers)
	for i := range callers {
		path := "/function/echo"
		if i%2 == 1 {
			path = "/function/other"
		}
		wg.Go(func() {
			resp, err := e.srv.Client().Post(e.srv.URL+path, "text/plain", strings.NewReader("x"))
			if err != nil {
				codes <- -1
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("a caller got %d", c)
		}
	}
	if got := e.fb.scaleCalls(); !slices.Equal(got, []uint64{1, 1}) {
		t.Fatalf("scale calls %v, want exactly one scale to 1 per function", got)
	}
}
