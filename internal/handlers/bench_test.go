package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/metrics"
	"github.com/faas-wasm/faas-wasm/provider"
)

// trivialBackend serves every function with a handler that answers "ok".
type trivialBackend struct {
	provider.Backend
	h http.Handler
}

func (b trivialBackend) Invoker(context.Context, string, string) (http.Handler, error) {
	return b.h, nil
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	_, _ = w.Write([]byte("ok"))
})

// BenchmarkInvokeOverhead compares calling a trivial function handler
// directly with calling it through the router's /function/ path, in
// process (no network), so the difference is the HTTP layer's overhead.
func BenchmarkInvokeOverhead(b *testing.B) {
	router := NewRouter(trivialBackend{h: okHandler}, Config{Logger: slog.New(slog.DiscardHandler)})
	measured := NewRouter(trivialBackend{h: okHandler}, Config{Logger: slog.New(slog.DiscardHandler),
		Observer: metrics.New(metrics.WithProcessMetrics(false))})
	for _, bc := range []struct {
		name, path string
		h          http.Handler
	}{
		{"direct", "/api?x=1", okHandler},
		{"router", "/function/echo.openfaas-fn/api?x=1", router},
		{"router+metrics", "/function/echo.openfaas-fn/api?x=1", measured},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest("POST", bc.path, strings.NewReader("hello"))
				w := httptest.NewRecorder()
				bc.h.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}

// BenchmarkInvokeLoopback measures a whole call over loopback HTTP through
// the router to a trivial function.
func BenchmarkInvokeLoopback(b *testing.B) {
	srv := httptest.NewServer(NewRouter(trivialBackend{h: okHandler}, Config{Logger: slog.New(slog.DiscardHandler)}))
	b.Cleanup(srv.Close)
	client := srv.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(srv.URL+"/function/echo", "text/plain", strings.NewReader("hello"))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// listBackend lists a fixed set of functions.
type listBackend struct {
	provider.Backend
	list []provider.FunctionStatus
}

func (b listBackend) Functions(context.Context, string) ([]provider.FunctionStatus, error) {
	return b.list, nil
}

// BenchmarkListFunctions1000 measures the HTTP layer's share of
// GET /system/functions with 1,000 functions (JSON encoding included).
func BenchmarkListFunctions1000(b *testing.B) {
	list := make([]provider.FunctionStatus, 1000)
	for i := range list {
		name := fmt.Sprintf("fn-%04d", i)
		list[i] = provider.FunctionStatus{Name: name, Image: "registry.local/" + name + ":1", Namespace: provider.DefaultNamespace,
			Labels:   map[string]string{provider.LabelFunction: name, provider.LabelScaleMin: "1"},
			EnvVars:  map[string]string{"MODE": "fast"},
			Replicas: 1, AvailableReplicas: 1, InvocationCount: float64(i), CreatedAt: time.Now()}
	}
	router := NewRouter(listBackend{list: list}, Config{Logger: slog.New(slog.DiscardHandler)})
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		router.ServeHTTP(w, httptest.NewRequest("GET", "/system/functions", nil))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
