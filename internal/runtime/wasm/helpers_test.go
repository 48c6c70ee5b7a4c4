package wasm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var shared struct {
	once sync.Once
	e    *Engine
	err  error
}

// closeTestEngine closes the shared engine (and stops its epoch ticker) if a
// test made it; TestMain calls it after the tests.
func closeTestEngine() {
	if shared.e != nil {
		shared.e.Close()
	}
}

// testEngine returns an engine shared by the tests, whose AOT cache persists
// under the user cache dir so repeated runs do not recompile the Go guests.
func testEngine(t testing.TB) *Engine {
	t.Helper()
	shared.once.Do(func() {
		base, err := os.UserCacheDir()
		if err != nil {
			base = os.TempDir()
		}
		shared.e, shared.err = NewEngine(filepath.Join(base, "faas-wasm", "test-engine-cache"))
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.e
}

// deploy compiles guest on the shared engine and makes a function of it.
func deploy(t testing.TB, guest []byte, cfg Config) *Function {
	t.Helper()
	e := testEngine(t)
	m, err := e.Compile(context.Background(), guest)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if cfg.Name == "" {
		cfg.Name = "test"
	}
	f, err := e.NewFunction(m, cfg)
	if err != nil {
		t.Fatalf("new function: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// call invokes f with a 30 s safety timeout.
func call(f *Function, query string, body string) (*Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return f.Invoke(ctx, &Request{Method: "POST", Path: "/fn/path", RawQuery: query, Host: "gw:8080",
		RemoteAddr: "10.0.0.1:5555", Body: []byte(body)})
}

// logSink collects guest stderr lines.
type logSink struct {
	mu    sync.Mutex
	lines []string
}

func (l *logSink) log(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// guestCase names a guest module for table tests.
type guestCase struct {
	name  string
	bytes func(testing.TB) []byte
}

func goGuests() []guestCase {
	return []guestCase{
		{"command", func(testing.TB) []byte { return cmdGuest }},
		{"reactor", func(testing.TB) []byte { return reactorGuest }},
		{"snapshot", snapshotGuestT},
	}
}
