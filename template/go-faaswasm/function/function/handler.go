// Package function is the function's behaviour.
package function

import (
	"fmt"
	"net/http"
)

// Handle greets ?name= (default "world").
func Handle(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if name == "" {
		name = "world"
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "Hello, %s!\n", name)
}
