//go:build !wasip1

package fn

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func TestHandler(t *testing.T) {
	calls := 0
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, "done")
	}))
	tests := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		wantBody   string
		wantCalls  int
	}{
		{"health", http.MethodGet, HealthPath, 200, "OK", 0},
		{"health head", http.MethodHead, HealthPath, 200, "", 0},
		{"post to health path reaches the function", http.MethodPost, HealthPath, 202, "done", 1},
		{"function", http.MethodGet, "/anything?x=1", 202, "done", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody || calls != tt.wantCalls {
				t.Fatalf("got %d %q calls=%d", rec.Code, rec.Body.String(), calls)
			}
			d := rec.Header().Get(DurationHeader)
			if _, err := strconv.ParseFloat(d, 64); err != nil {
				t.Errorf("%s = %q, want seconds", DurationHeader, d)
			}
		})
	}
}

func TestDurationHeaderWhenHandlerWritesNothing(t *testing.T) {
	h := Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Header().Get(DurationHeader) == "" {
		t.Fatal("no duration header")
	}
}

func TestServeDrainsOnShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(started)
			<-release
		}
		_, _ = io.WriteString(w, "ok "+r.URL.Path)
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, WithDrainTimeout(5*time.Second)) }()
	base := "http://" + ln.Addr().String()

	slow := make(chan string, 1)
	go func() {
		resp, err := http.Get(base + "/slow")
		if err != nil {
			slow <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		slow <- string(b)
	}()
	<-started
	cancel()
	time.Sleep(100 * time.Millisecond)
	if _, err := http.Get(base + "/after"); err == nil {
		t.Error("new connection accepted after shutdown began")
	}
	close(release)
	if got := <-slow; got != "ok /slow" {
		t.Errorf("in-flight request got %q", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestServeDrainTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h, WithDrainTimeout(200*time.Millisecond)) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Serve = %v, want DeadlineExceeded", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the drain timeout")
	}
}
