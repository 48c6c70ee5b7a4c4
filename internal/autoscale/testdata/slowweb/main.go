// Command slowweb is the container function of the autoscaler's load test:
// an HTTP server on :8080 answering /_/health at once and every other path
// with "slept" after 30 ms. Build: CGO_ENABLED=0 go build -o slowweb .
package main

import (
	"fmt"
	"net/http"
	"os"
	"time"
)

func main() {
	http.HandleFunc("/_/health", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "OK") })
	http.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(30 * time.Millisecond)
		fmt.Fprint(w, "slept")
	})
	if err := http.ListenAndServe(":8080", nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
