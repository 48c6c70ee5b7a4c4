package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
)

// RequireBasicAuth wraps next so that it only runs for requests carrying
// creds as basic auth. Others get 401 with
// `WWW-Authenticate: Basic realm="Restricted"`. User and password are
// compared in constant time (over their SHA-256 digests, so neither the
// content nor the length leaks through timing). A nil creds returns next.
func RequireBasicAuth(creds *Credentials, next http.Handler) http.Handler {
	if creds == nil {
		return next
	}
	wantUser := sha256.Sum256([]byte(creds.User))
	wantPass := sha256.Sum256([]byte(creds.Password))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		gotUser := sha256.Sum256([]byte(user))
		gotPass := sha256.Sum256([]byte(pass))
		userOK := subtle.ConstantTimeCompare(gotUser[:], wantUser[:])
		passOK := subtle.ConstantTimeCompare(gotPass[:], wantPass[:])
		if !ok || userOK&passOK != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Restricted"`)
			writeText(w, http.StatusUnauthorized, "unauthorized: valid basic auth credentials are required")
			return
		}
		next.ServeHTTP(w, r)
	})
}
