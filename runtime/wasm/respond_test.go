package wasm

import (
	"net/http"
	"net/http/httptest"
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
