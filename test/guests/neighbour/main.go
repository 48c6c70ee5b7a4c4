// Command neighbour is the well-behaved function of the reliability tests: it
// answers "ok <body>", sleeps first when asked (?sleep=1s) and returns a
// secret's value when asked (?secret=name). Built with GOOS=wasip1 by the
// tests.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/faas-wasm/faas-wasm/fn"
)

func init() { fn.Register(handle) }

func main() { fn.Start() }

func handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	q := r.URL.Query()
	if d, err := time.ParseDuration(q.Get("sleep")); err == nil {
		time.Sleep(d)
	}
	if name := q.Get("secret"); name != "" {
		b, err := os.ReadFile("/var/openfaas/secrets/" + name)
		if err != nil {
			http.Error(w, "no such secret", http.StatusNotFound)
			return
		}
		w.Write(b)
		return
	}
	fmt.Fprintf(w, "ok %s", body)
}
