package handlers

import "net/http"

// MakeHealthHandler serves GET and HEAD /healthz: 200 while the process
// serves HTTP. It needs no backend and no auth.
func MakeHealthHandler() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write([]byte("OK\n"))
		}
	}
}
