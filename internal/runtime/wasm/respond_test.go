package wasm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestWriteResponse(t *testing.T) {
	for _, tc := range []struct {
		name         string
		status       int
		header       http.Header
		wantStatus   int
		wantDuration string
	}{
		{"defaults", 0, nil, http.StatusOK, "1.500000"},
		{"guest status and duration kept", http.StatusCreated, http.Header{"X-Duration-Seconds": {"0.1"}, "X-Guest": {"1"}}, http.StatusCreated, "0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WriteResponse(rec, tc.status, tc.header, []byte("hello"), 1500*time.Millisecond)
			if rec.Code != tc.wantStatus || rec.Body.String() != "hello" {
				t.Fatalf("got %d %q", rec.Code, rec.Body.String())
			}
			if got := rec.Header().Get("X-Duration-Seconds"); got != tc.wantDuration {
				t.Fatalf("X-Duration-Seconds %q, want %q", got, tc.wantDuration)
			}
			if rec.Header().Get("Content-Length") != "5" {
				t.Fatalf("Content-Length %q", rec.Header().Get("Content-Length"))
			}
			if tc.header != nil && rec.Header().Get("X-Guest") != "1" {
				t.Fatal("guest header lost")
			}
		})
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestReadBody(t *testing.T) {
	for _, tc := range []struct {
		name     string
		body     io.Reader
		limit    int64
		wantOK   bool
		wantCode int
		wantBody string
	}{
		{"no limit", strings.NewReader("hello"), 0, true, 0, "hello"},
		{"at the limit", strings.NewReader("hello"), 5, true, 0, "hello"},
		{"over the limit", strings.NewReader("hello!"), 5, false, http.StatusRequestEntityTooLarge, "larger than 5 bytes"},
		{"read fails", errReader{}, 5, false, http.StatusBadRequest, "connection reset"},
		{"no body", nil, 5, true, 0, ""},
		{"http.NoBody", http.NoBody, 5, true, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/", tc.body)
			switch tc.body {
			case nil:
				req.Body = nil
			case http.NoBody:
				req.Body = http.NoBody
			}
			rec := httptest.NewRecorder()
			body, ok := ReadBody(rec, req, tc.limit)
			if ok != tc.wantOK {
				t.Fatalf("ok = %v, want %v (answer %d %q)", ok, tc.wantOK, rec.Code, rec.Body.String())
			}
			if ok && tc.body == http.NoBody && body != nil {
				t.Fatalf("body %q for http.NoBody, want nil", body)
			}
			if ok && string(body) != tc.wantBody {
				t.Fatalf("body %q, want %q", body, tc.wantBody)
			}
			if !ok && (rec.Code != tc.wantCode || !strings.Contains(rec.Body.String(), tc.wantBody)) {
				t.Fatalf("answered %d %q, want %d containing %q", rec.Code, rec.Body.String(), tc.wantCode, tc.wantBody)
			}
		})
	}
}

func TestWriteError(t *testing.T) {
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		err    error
		status int
		body   string
	}{
		{fmt.Errorf("%w after 3s", ErrTimeout), 504, "function fn: wasm function timed out after 3s\n"},
		{fmt.Errorf("serve: %w", ended.Err()), 504, "function fn: serve: context canceled\n"},
		{context.DeadlineExceeded, 504, "function fn: context deadline exceeded\n"},
		{fmt.Errorf("%w: over 10 bytes", ErrResponseTooLarge), 502, "function fn: wasm function response too large: over 10 bytes\n"},
		{&ExitError{Code: 3}, 500, "function fn: wasm function exited with code 3\n"},
		{&TrapError{Message: "unreachable"}, 500, "function fn: wasm function trapped: unreachable\n"},
		{fmt.Errorf("%w: 64 MiB", ErrMemoryLimit), 500, "function fn: wasm function exceeded its memory limit: 64 MiB\n"},
	} {
		rec := httptest.NewRecorder()
		WriteError(rec, "fn", tc.err)
		if rec.Code != tc.status || rec.Body.String() != tc.body || ErrorStatus(tc.err) != tc.status {
			t.Errorf("%v: got %d %q (ErrorStatus %d), want %d %q", tc.err, rec.Code, rec.Body.String(), ErrorStatus(tc.err), tc.status, tc.body)
		}
	}
}
