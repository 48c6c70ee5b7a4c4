package async

import (
	"bytes"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func sampleCall() Call {
	return Call{
		ID: "call-1", Name: "echo", Namespace: "openfaas-fn", Method: http.MethodPost,
		Path: "/sub/a%2Fb", RawQuery: "x=1&y=two",
		Header:      http.Header{"Content-Type": {"text/plain"}, "X-Custom": {"a", "b"}},
		CallbackURL: "http://127.0.0.1:9/cb",
		Submitted:   time.Unix(1700000000, 5).UTC(),
		Body:        []byte("payload\x00\xff"),
	}
}

func TestCallRoundTrip(t *testing.T) {
	for _, c := range []Call{sampleCall(), {ID: "x", Name: "f", Namespace: "n", Method: "GET", Path: "/"}} {
		data, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Unmarshal(data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, c)
		}
	}
}

func TestUnmarshalRefusesBadCalls(t *testing.T) {
	good, _ := sampleCall().Marshal()
	mutate := func(f func(*Call)) []byte {
		c := sampleCall()
		f(&c)
		data, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	for name, data := range map[string][]byte{
		"empty":            nil,
		"no magic":         []byte("XXXX\x00\x00\x00\x02{}"),
		"short length":     []byte(magic + "\x00\x00"),
		"length past end":  append([]byte(magic+"\x00\x00\x10\x00"), '{', '}'),
		"bad json":         []byte(magic + "\x00\x00\x00\x01{"),
		"truncated record": good[:20],
		"no id":            mutate(func(c *Call) { c.ID = "" }),
		"dotted name":      mutate(func(c *Call) { c.Name = "a.b" }),
		"subject wildcard": mutate(func(c *Call) { c.Namespace = "*" }),
		"no method":        mutate(func(c *Call) { c.Method = "" }),
		"relative path":    mutate(func(c *Call) { c.Path = "sub" }),
		"ftp callback":     mutate(func(c *Call) { c.CallbackURL = "ftp://host/x" }),
		"hostless":         mutate(func(c *Call) { c.CallbackURL = "http:///x" }),
	} {
		if _, err := Unmarshal(data); !errors.Is(err, errBadCall) {
			t.Errorf("%s: Unmarshal = %v, want errBadCall", name, err)
		}
	}
}

func TestFunctionURL(t *testing.T) {
	u, err := sampleCall().functionURL()
	if err != nil {
		t.Fatal(err)
	}
	if got := u.RequestURI(); got != "/function/echo.openfaas-fn/sub/a%2Fb?x=1&y=two" {
		t.Fatalf("function URL %q", got)
	}
}

// FuzzUnmarshal: no input panics, and what decodes encodes back to a call
// that decodes the same.
func FuzzUnmarshal(f *testing.F) {
	good, _ := sampleCall().Marshal()
	f.Add(good)
	f.Add([]byte(magic + "\x00\x00\x00\x02{}"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Unmarshal(data)
		if err != nil {
			return
		}
		again, err := c.Marshal()
		if err != nil {
			t.Fatalf("decoded call does not encode: %v", err)
		}
		c2, err := Unmarshal(again)
		if err != nil {
			t.Fatalf("re-encoded call does not decode: %v", err)
		}
		if !reflect.DeepEqual(c, c2) && !bytes.Equal(again, mustMarshal(t, c2)) {
			t.Fatalf("round trip changed the call:\n%+v\n%+v", c, c2)
		}
	})
}

func mustMarshal(t *testing.T, c Call) []byte {
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration
	}{{1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {7, 10 * time.Second}, {100, 10 * time.Second}} {
		if got := backoff(time.Second, 10*time.Second, tc.attempt); got != tc.want {
			t.Errorf("backoff(attempt %d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
}

func TestRetryable(t *testing.T) {
	for status, want := range map[int]bool{200: false, 202: false, 400: false, 404: false, 500: false, 429: true, 502: true, 503: true, 504: true} {
		if retryable(status) != want {
			t.Errorf("retryable(%d) = %v", status, !want)
		}
	}
}
