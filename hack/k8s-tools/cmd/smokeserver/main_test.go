package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestMux(t *testing.T) {
	srv := httptest.NewServer(newMux("pod-1"))
	t.Cleanup(srv.Close)
	tests := []struct {
		path string
		want string
	}{
		{"/_/health", "ok\n"},
		{"/", "hello from pod-1\n"},
		{"/anything", "hello from pod-1\n"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, err := http.Get(srv.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || string(body) != tc.want {
				t.Fatalf("GET %s = %d %q, want 200 %q", tc.path, resp.StatusCode, body, tc.want)
			}
		})
	}
}
