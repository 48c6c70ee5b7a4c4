// Command probe is the e2e tests' own function (built natively with the fn
// SDK, served on :8080): it answers with its pod's host name, reads the
// secret named by ?secret= from /var/openfaas/secrets, and logs one line per
// call to stderr, so tests can see round robin, mounted secrets and logs.
package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/faas-wasm/faas-wasm/fn"
)

func handle(w http.ResponseWriter, r *http.Request) {
	host, _ := os.Hostname()
	w.Header().Set("X-Replica", host)
	fmt.Fprintf(os.Stderr, "probe served %s on %s\n", r.URL.Path, host)
	if name := r.URL.Query().Get("secret"); name != "" {
		v, err := os.ReadFile(filepath.Join("/var/openfaas/secrets", filepath.Base(name)))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		w.Write(v)
		return
	}
	fmt.Fprint(w, host)
}

func init() { fn.Register(handle) }

func main() { fn.Start() }
