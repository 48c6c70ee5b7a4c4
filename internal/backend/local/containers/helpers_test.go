package containers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/containerd/namespaces"

	"github.com/faas-wasm/faas-wasm/internal/containerdtest"
	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

// logLine is one line delivered to the log sink.
type logLine struct{ fn, ns, instance, text string }

// recorder is a LogSink that keeps every line.
type recorder struct {
	mu    sync.Mutex
	lines []logLine
}

func (r *recorder) sink(fn, ns, instance, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, logLine{fn, ns, instance, line})
}

// matching returns the lines containing substr.
func (r *recorder) matching(substr string) []logLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logLine
	for _, l := range r.lines {
		if strings.Contains(l.text, substr) {
			out = append(out, l)
		}
	}
	return out
}

// testManager is a Manager on the shared daemon with its own containerd
// namespace, network and state dir.
type testManager struct {
	*Manager
	rec  *recorder
	log  *syncbuf.Buffer
	opts []Option
	ns   string
}

var nsSeq int

// newTestManager creates a manager; at cleanup it is closed and every
// container of its namespace is deleted (before its bridge is removed).
func newTestManager(t testing.TB, extra ...Option) *testManager {
	t.Helper()
	h := requireHarness(t)
	state := t.TempDir()
	network := testNetwork(t, state)
	nsSeq++
	tm := &testManager{rec: &recorder{}, log: &syncbuf.Buffer{}, ns: fmt.Sprintf("fwt%d-%d", os.Getpid(), nsSeq)}
	tm.opts = append([]Option{
		WithNamespace(tm.ns),
		WithNetwork(network),
		WithStateDir(state),
		WithLogSink(tm.rec.sink),
		WithStopTimeout(2 * time.Second),
		WithLogger(slog.New(slog.NewTextHandler(tm.log, &slog.HandlerOptions{Level: slog.LevelDebug}))),
	}, extra...)
	m, err := New(context.Background(), h.Socket(), tm.opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	tm.Manager = m
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("manager log:\n%s", tm.log.String())
		}
		client, err := h.Client()
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer client.Close()
		ctx, cancel := context.WithTimeout(namespaces.WithNamespace(context.Background(), tm.ns), time.Minute)
		defer cancel()
		m.mu.Lock()
		var reps []*replica
		for _, fn := range m.fns {
			reps = append(reps, fn.replicas...)
		}
		m.mu.Unlock()
		for _, r := range reps {
			r.detachWatchers()
		}
		containerdtest.PurgeNamespace(ctx, client)
		_ = m.Close()
	})
	return tm
}

// reopen returns a second manager with the same options (a provider restart).
func (tm *testManager) reopen(t testing.TB) *Manager {
	t.Helper()
	m, err := New(context.Background(), requireHarness(t).Socket(), tm.opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = m.Close() })
	return m
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitReady waits until n replicas of the function are ready.
func waitReady(t testing.TB, m *Manager, name, ns string, n int) {
	t.Helper()
	waitFor(t, 30*time.Second, fmt.Sprintf("%d ready replicas of %s", n, name), func() bool {
		return m.Ready(name, ns) == n
	})
}

// call sends one request through h and returns status and body.
func call(h http.Handler, method, target, body string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, strings.NewReader(body)))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(b)
}

// ids returns the replica ids of a function.
func ids(m *Manager, name, ns string) []string {
	var out []string
	for _, r := range m.Replicas(name, ns) {
		out = append(out, r.ID)
	}
	return out
}
