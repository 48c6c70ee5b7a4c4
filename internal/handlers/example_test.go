package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/handlers"
	"github.com/faas-wasm/faas-wasm/provider"
)

// ExampleNewServer wires a backend into the router and a hardened server,
// as main.go does. The backend here is left nil because /healthz never
// calls it; a real program passes the local or Kubernetes backend.
func ExampleNewServer() {
	var backend provider.Backend
	router := handlers.NewRouter(backend, handlers.Config{
		Auth:                 &handlers.Credentials{User: "admin", Password: "from-a-file"},
		MaxBodyBytes:         16 << 20,
		ScaleFromZeroTimeout: 30 * time.Second,
		Logger:               slog.New(slog.DiscardHandler),
	})
	srv := handlers.NewServer(":8081", router, handlers.ServerTimeouts{Request: 5 * time.Minute}, nil)

	rec := httptest.NewRecorder()
	srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	fmt.Println(rec.Code)
	rec = httptest.NewRecorder()
	srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/system/functions", nil))
	fmt.Println(rec.Code, rec.Header().Get("WWW-Authenticate"))
	// Output:
	// 200
	// 401 Basic realm="Restricted"
}
