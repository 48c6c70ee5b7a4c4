package wasm

import (
	"errors"
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
