package containers

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestHandlerRoundRobinAcrossCalls sends two calls, each through its own
// Handler lookup as the local backend does per call, to a function with two
// ready replicas (127.0.0.1 and 127.0.0.2 on one port): both replicas
// answer. Regression: Handler built a new proxy per call, whose round robin
// started again at the first replica, so every call went to it.
func TestHandlerRoundRobinAcrossCalls(t *testing.T) {
	first, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := first.Addr().(*net.TCPAddr).Port
	second, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", strconv.Itoa(port)))
	if err != nil {
		first.Close()
		t.Fatalf("127.0.0.2:%d: %v", port, err)
	}
	for _, l := range []net.Listener{first, second} {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, r.Context().Value(http.LocalAddrContextKey).(net.Addr).String())
		})}
		go srv.Serve(l)
		t.Cleanup(func() { srv.Close() })
	}
	m := &Manager{
		opts:      options{port: port},
		log:       slog.New(slog.DiscardHandler),
		transport: &http.Transport{},
		fns:       map[string]*function{},
	}
	t.Cleanup(m.transport.CloseIdleConnections)
	fn, err := m.function("echo", "fn", true)
	if err != nil {
		t.Fatal(err)
	}
	fn.replicas = []*replica{{ip: "127.0.0.1", running: true, ready: true}, {ip: "127.0.0.2", running: true, ready: true}}
	seen := map[string]bool{}
	for range 2 {
		rec := httptest.NewRecorder()
		m.Handler("echo", "fn").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("call: %d %s", rec.Code, rec.Body)
		}
		seen[rec.Body.String()] = true
	}
	if len(seen) != 2 {
		t.Errorf("two calls reached %v, want both replicas", seen)
	}
}
