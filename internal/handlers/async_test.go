package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/async"
	"github.com/faas-wasm/faas-wasm/provider"
)

// fakeQueue records the calls handed to it, or answers err.
type fakeQueue struct {
	mu    sync.Mutex
	calls []async.Call
	err   error
}

func (q *fakeQueue) Enqueue(_ context.Context, c async.Call) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.calls = append(q.calls, c)
	return nil
}

func TestAsyncInvoke(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		header                   []string
		queueErr                 error
		want                     int
		wantCall                 async.Call
	}{
		{name: "post with sub-path, query and callback", method: "POST", path: "/async-function/echo/a/b%2Fc?x=1&y=a%20b", body: "hello",
			header: []string{"X-Callback-Url", "http://127.0.0.1:9999/cb", "X-Call-Id", "id-7", "X-Custom", "v"}, want: 202,
			wantCall: async.Call{ID: "id-7", Name: "echo", Namespace: provider.DefaultNamespace, Method: "POST", Path: "/a/b%2Fc", RawQuery: "x=1&y=a%20b", CallbackURL: "http://127.0.0.1:9999/cb", Body: []byte("hello")}},
		{name: "namespace, no callback", method: "GET", path: "/async-function/dev-fn.dev", want: 202,
			wantCall: async.Call{Name: "dev-fn", Namespace: "dev", Method: "GET", Path: "/"}},
		{name: "trace not allowed", method: "TRACE", path: "/async-function/echo", want: 405},
		{name: "unknown function", method: "POST", path: "/async-function/nope", want: 404},
		{name: "bad name", method: "POST", path: "/async-function/Echo_1", want: 400},
		{name: "no name", method: "POST", path: "/async-function/", want: 400},
		{name: "relative callback", method: "POST", path: "/async-function/echo", header: []string{"X-Callback-Url", "/cb"}, want: 400},
		{name: "body too large", method: "POST", path: "/async-function/echo", body: strings.Repeat("x", 65), want: 413},
		{name: "queue full", method: "POST", path: "/async-function/echo", queueErr: fmt.Errorf("enqueue: %w", provider.ErrQueueFull), want: 429},
		{name: "queue down", method: "POST", path: "/async-function/echo", queueErr: fmt.Errorf("enqueue: %w", provider.ErrUnavailable), want: 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &fakeQueue{err: tc.queueErr}
			e := newEnv(t, Config{MaxBodyBytes: 64, Async: q})
			e.deploy("echo", "", nil)
			e.deploy("dev-fn", "dev", nil)
			resp, body := e.do(tc.method, tc.path, tc.body, tc.header...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tc.want)
			}
			if tc.want == 429 && resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
			if tc.want != 202 {
				if len(q.calls) != 0 {
					t.Fatalf("refused call was queued: %+v", q.calls)
				}
				return
			}
			if len(q.calls) != 1 {
				t.Fatalf("queued %d calls", len(q.calls))
			}
			got, want := q.calls[0], tc.wantCall
			if want.ID == "" {
				if !uuidV4.MatchString(got.ID) {
					t.Errorf("generated call id %q is no UUIDv4", got.ID)
				}
				want.ID = got.ID
			}
			if resp.Header.Get("X-Call-Id") != got.ID {
				t.Errorf("answered X-Call-Id %q, queued %q", resp.Header.Get("X-Call-Id"), got.ID)
			}
			if got.Name != want.Name || got.Namespace != want.Namespace || got.Method != want.Method || got.Path != want.Path ||
				got.RawQuery != want.RawQuery || got.CallbackURL != want.CallbackURL || string(got.Body) != string(want.Body) || got.ID != want.ID {
				t.Errorf("queued %+v\nwant %+v", got, want)
			}
			if got.Header.Get("Content-Length") != "" || got.Header.Get("Connection") != "" {
				t.Errorf("hop-by-hop headers stored: %v", got.Header)
			}
			for i := 0; i+1 < len(tc.header); i += 2 {
				if got.Header.Get(tc.header[i]) != tc.header[i+1] {
					t.Errorf("header %s not kept: %v", tc.header[i], got.Header)
				}
			}
		})
	}
}

func TestAsyncOffAnswers501(t *testing.T) {
	e := newEnv(t, Config{})
	e.deploy("echo", "", nil)
	if resp, body := e.do("POST", "/async-function/echo", "x"); resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("no queue: %d %q, want 501", resp.StatusCode, body)
	}
}

func TestStatusForQueueFull(t *testing.T) {
	if got := StatusFor(fmt.Errorf("x: %w", provider.ErrQueueFull)); got != http.StatusTooManyRequests {
		t.Fatalf("ErrQueueFull -> %d", got)
	}
	if errors.Is(provider.ErrQueueFull, provider.ErrUnavailable) {
		t.Fatal("classes overlap")
	}
}
