package local

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A container call is bounded by the function timeout: its context ends,
// so a proxy waiting on a replica that never answers gives up.
func TestCallTimeoutEndsTheCallContext(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		ends    bool
	}{
		{"bounded", 50 * time.Millisecond, true},
		{"zero leaves it unbounded", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ended := make(chan bool, 1)
			h := callTimeout(tc.timeout, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
					ended <- true
				case <-time.After(2 * time.Second):
					ended <- false
				}
			}))
			start := time.Now()
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
			if got := <-ended; got != tc.ends {
				t.Fatalf("context ended = %v after %v, want %v", got, time.Since(start), tc.ends)
			}
		})
	}
}
