// Command echo is the end-to-end test function: it answers with what it was
// called with, reads a secret when asked, logs a line to stderr and can answer
// with any status. Built with GOOS=wasip1 by the end-to-end tests.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	"github.com/faas-wasm/faas-wasm/fn"
)

func init() { fn.Register(handle) }

func main() { fn.Start() }

func handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fmt.Fprintf(os.Stderr, "echo called: %s %s\n", r.Method, r.URL.Path)
	q := r.URL.Query()
	if name := q.Get("secret"); name != "" {
		b, err := os.ReadFile("/var/openfaas/secrets/" + name)
		if err != nil {
			http.Error(w, "read secret: "+err.Error(), http.StatusNotFound)
			return
		}
		w.Write(b)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	if s := q.Get("status"); s != "" {
		code, _ := strconv.Atoi(s)
		w.WriteHeader(code)
	}
	fmt.Fprintf(w, "method=%s path=%s query=%s call-id=%s env=%s body=%s",
		r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Call-Id"), os.Getenv("GREETING"), body)
}
