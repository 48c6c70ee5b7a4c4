package proxy

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/leaktest"
)

func TestMain(m *testing.M) { leaktest.Main(m) }

// replica starts a real HTTP server on loopback answering "NAME:PATH?QUERY|BODY".
func replica(t *testing.T, name string, h http.HandlerFunc) string {
	t.Helper()
	if h == nil {
		h = func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			io.WriteString(w, name+":"+r.URL.RequestURI()+"|"+string(b))
		}
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

// refused returns a loopback address nothing listens on.
func refused(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func newProxy(t *testing.T, eps ...string) *Proxy {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return New("fn", "ns", func() []string { return eps }, tr, slog.New(slog.DiscardHandler))
}

func call(p http.Handler, method, target, body string, timeout time.Duration) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if timeout > 0 {
		ctx, cancel := context.WithTimeout(req.Context(), timeout)
		defer cancel()
		req = req.WithContext(ctx)
	}
	w := httptest.NewRecorder()
	p.ServeHTTP(w, req)
	return w
}

func TestRoundRobin(t *testing.T) {
	p := newProxy(t, replica(t, "a", nil), replica(t, "b", nil))
	seen := map[string]int{}
	for range 4 {
		w := call(p, "POST", "/x/y?q=1", "hi", 0)
		if w.Code != 200 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		name, rest, _ := strings.Cut(w.Body.String(), ":")
		if rest != "/x/y?q=1|hi" {
			t.Fatalf("replica got %q", rest)
		}
		seen[name]++
	}
	if seen["a"] != 2 || seen["b"] != 2 {
		t.Fatalf("calls per replica = %v, want 2 each", seen)
	}
}

// TestRefusedRetriedOnAnother is the regression test of issue 16 for local
// containers: on 5770c34 their proxy answered 502 when the chosen replica
// refused the connection although another one was ready.
func TestRefusedRetriedOnAnother(t *testing.T) {
	good := replica(t, "good", nil)
	for range 3 { // whichever replica round robin starts with
		p := newProxy(t, refused(t), good)
		for range 2 {
			w := call(p, "POST", "/", "body", 0)
			if w.Code != 200 || w.Body.String() != "good:/|body" {
				t.Fatalf("status %d %q, want 200 from the good replica", w.Code, w.Body)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	slow := replica(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	hangup := replica(t, "hangup", func(w http.ResponseWriter, r *http.Request) {
		c, _, _ := w.(http.Hijacker).Hijack()
		c.Close()
	})
	for _, tc := range []struct {
		name    string
		eps     []string
		timeout time.Duration
		code    int
		text    string
	}{
		{"no replica", nil, 0, 503, "No endpoints available for: fn."},
		{"all refused", []string{refused(t), refused(t), refused(t), refused(t)}, 0, 502, "function fn.ns: replica 127.0.0.1:"},
		{"deadline", []string{slow}, 100 * time.Millisecond, 504, "function fn.ns timed out"},
		{"connection closed", []string{hangup}, 0, 502, "did not answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := call(newProxy(t, tc.eps...), "GET", "/", "", tc.timeout)
			if w.Code != tc.code || !strings.Contains(w.Body.String(), tc.text) {
				t.Fatalf("got %d %q, want %d containing %q", w.Code, w.Body, tc.code, tc.text)
			}
		})
	}
}

// TestReachedReplicaNotRetried: a call that reached a replica is never sent
// to a second one, even when the first failed.
func TestReachedReplicaNotRetried(t *testing.T) {
	calls := make(chan string, 4)
	hangup := replica(t, "hangup", func(w http.ResponseWriter, r *http.Request) {
		calls <- "hangup"
		c, _, _ := w.(http.Hijacker).Hijack()
		c.Close()
	})
	other := replica(t, "other", func(w http.ResponseWriter, r *http.Request) { calls <- "other" })
	p := newProxy(t, hangup, other)
	p.next.Store(0)
	if w := call(p, "POST", "/", "x", 0); w.Code != 502 {
		t.Fatalf("status %d, want 502", w.Code)
	}
	if got := len(calls); got != 1 || <-calls != "hangup" {
		t.Fatalf("the call reached %d replicas, want only the first", got)
	}
}

// TestWarningsBounded: a dead replica fails every call sent to it until it
// leaves the list; the proxy warns once per warnEvery, not once per call.
func TestWarningsBounded(t *testing.T) {
	var buf bytes.Buffer
	p := New("f", "ns", nil, nil, slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for range 100 {
		p.warn(context.Background(), "function replica unreachable")
	}
	if warns, debugs := strings.Count(buf.String(), "level=WARN"), strings.Count(buf.String(), "level=DEBUG"); warns != 1 || debugs != 99 {
		t.Fatalf("%d warnings and %d debug lines for 100 failures, want 1 and 99", warns, debugs)
	}
}
