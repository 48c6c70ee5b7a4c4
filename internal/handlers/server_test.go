package handlers

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// serve runs NewServer on a loopback port until the test ends.
func serve(t *testing.T, h http.Handler, to ServerTimeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ln.Addr().String(), h, to, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

func TestServerRequestTimeout(t *testing.T) {
	cancelled := make(chan time.Duration, 1)
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		select {
		case <-r.Context().Done():
			cancelled <- time.Since(start)
			// Write clearly after the deadline: the read and write deadline
			// timers share one instant and may fire in either order.
			time.Sleep(50 * time.Millisecond)
		case <-time.After(5 * time.Second):
			cancelled <- -1
		}
		_, _ = w.Write([]byte("late"))
	})
	url := serve(t, slow, ServerTimeouts{Request: 200 * time.Millisecond})
	resp, err := http.Get(url)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if len(b) > 0 {
			t.Fatalf("slow handler answered %q past the request deadline", b)
		}
	}
	if d := <-cancelled; d < 0 || d > 2*time.Second {
		t.Fatalf("handler context not ended by the request deadline (%v)", d)
	}
}

// TestServerLogsFollowOutlivesDeadline streams logs through NewServer for
// longer than its request deadline.
func TestServerLogsFollowOutlivesDeadline(t *testing.T) {
	fb := newFakeBackend()
	if err := fb.store(provider.FunctionDeployment{Service: "echo", Image: "r/echo:1", Namespace: provider.DefaultNamespace}); err != nil {
		t.Fatal(err)
	}
	url := serve(t, NewRouter(fb, Config{Logger: slog.New(slog.DiscardHandler)}), ServerTimeouts{Request: 150 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/system/logs?name=echo&follow=true", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !eventually(t, 5*time.Second, func() bool { return fb.followers() == 1 }) {
		t.Fatal("no follower")
	}
	time.Sleep(400 * time.Millisecond)
	fb.emit(provider.LogMessage{Name: "echo", Namespace: provider.DefaultNamespace, Timestamp: time.Now(), Text: "after the deadline"})
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, "after the deadline") {
		t.Fatalf("read %q, %v; want the line emitted after the deadline", line, err)
	}
}

func TestServerHeaderLimits(t *testing.T) {
	url := serve(t, MakeHealthHandler(), ServerTimeouts{MaxHeaderBytes: 1024, ReadHeader: 200 * time.Millisecond})
	req, _ := http.NewRequest("GET", url+"/healthz", nil)
	req.Header.Set("X-Big", strings.Repeat("a", 8<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("big header answered %d, want 431", resp.StatusCode)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if err != nil && !errors.Is(err, io.EOF) {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("server kept a connection with unfinished headers open")
		}
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("unfinished headers held the connection for %v", d)
	}
}

// TestServerShutdownEndsFollow checks that Shutdown is not held up by a
// log stream with follow=true.
func TestServerShutdownEndsFollow(t *testing.T) {
	fb := newFakeBackend()
	if err := fb.store(provider.FunctionDeployment{Service: "echo", Image: "r/echo:1", Namespace: provider.DefaultNamespace}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(ln.Addr().String(), NewRouter(fb, Config{Logger: slog.New(slog.DiscardHandler)}), ServerTimeouts{}, slog.New(slog.DiscardHandler))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	resp, err := http.Get("http://" + ln.Addr().String() + "/system/logs?name=echo&follow=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !eventually(t, 5*time.Second, func() bool { return fb.followers() == 1 }) {
		t.Fatal("no follower")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v after %v", err, time.Since(start))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Shutdown took %v with a follow stream open", d)
	}
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}
