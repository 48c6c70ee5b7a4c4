// Command web is the container function the local backend's containerd
// test deploys: a static HTTP server on :8080 answering /_/health, and
// "web GREETING=<env> SECRET=<secret s> PATH=<path>" elsewhere, printing one
// line per request to stdout. Build: CGO_ENABLED=0 go build -o web .
package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/_/health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "OK") })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		secret, _ := os.ReadFile("/var/openfaas/secrets/s")
		fmt.Printf("served %s\n", r.URL.Path)
		fmt.Fprintf(w, "web GREETING=%s SECRET=%s PATH=%s", os.Getenv("GREETING"), secret, r.URL.Path)
	})
	if err := http.ListenAndServe(":8080", nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
