package fn_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/faas-wasm/faas-wasm/fn"
)

// Handle is a function written once, as for the OpenFaaS golang-middleware
// template.
func Handle(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintf(w, "Hello, %s", r.URL.Query().Get("name"))
}

// A function's main package registers its handler from init (a reactor
// module never runs main) and calls Start from main.
func ExampleRegister() {
	fn.Register(Handle)
	// The main function then only calls fn.Start.
}

// Handler adds the health endpoint and the X-Duration-Seconds header that
// every faas-wasm function has.
func ExampleHandler() {
	h := fn.Handler(http.HandlerFunc(Handle))

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/?name=wasm", nil))
	body, _ := io.ReadAll(rec.Body)
	fmt.Println(rec.Code, string(body), rec.Header().Get(fn.DurationHeader) != "")

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, fn.HealthPath, nil))
	fmt.Println(rec.Code, rec.Body.String())
	// Output:
	// 200 Hello, wasm true
	// 200 OK
}
