package handlers

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

var logT0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

func seedLogs(e *testEnv, n int) {
	e.deploy("echo", "", nil)
	for i := range n {
		e.fb.logs = append(e.fb.logs, provider.LogMessage{Name: "echo", Namespace: provider.DefaultNamespace,
			Instance: "echo-0", Timestamp: logT0.Add(time.Duration(i) * time.Second), Text: "line " + string(rune('a'+i))})
	}
}

func TestLogsQuery(t *testing.T) {
	for _, tc := range []struct {
		name, query string
		want        int
		wantLines   []string
	}{
		{"all", "name=echo", 200, []string{"line a", "line b", "line c", "line d"}},
		{"tail", "name=echo&tail=2", 200, []string{"line c", "line d"}},
		{"tail -1 means all", "name=echo&tail=-1", 200, []string{"line a", "line b", "line c", "line d"}},
		{"since", "name=echo&since=2026-03-01T10:00:02Z", 200, []string{"line c", "line d"}},
		{"dotted name and follow=false", "name=echo.openfaas-fn&follow=false", 200, []string{"line a", "line b", "line c", "line d"}},
		{"bad tail", "name=echo&tail=ten", 422, nil},
		{"bad since", "name=echo&since=yesterday", 422, nil},
		{"bad follow", "name=echo&follow=maybe", 422, nil},
		{"no name", "tail=1", 400, nil},
		{"bad name", "name=Echo", 400, nil},
		{"unknown function", "name=nope", 404, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			seedLogs(e, 4)
			resp, body := e.do("GET", "/system/logs?"+tc.query, "")
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d %q, want %d", resp.StatusCode, body, tc.want)
			}
			if tc.want != 200 {
				return
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
				t.Fatalf("Content-Type %q", ct)
			}
			var got []string
			for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
				var m provider.LogMessage
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("line %q: %v", line, err)
				}
				if m.Name != "echo" || m.Namespace != provider.DefaultNamespace || m.Instance != "echo-0" || m.Timestamp.IsZero() {
					t.Fatalf("incomplete message %+v", m)
				}
				got = append(got, m.Text)
			}
			if strings.Join(got, "|") != strings.Join(tc.wantLines, "|") {
				t.Fatalf("lines %q, want %q", got, tc.wantLines)
			}
		})
	}
}

// TestLogsFollow proves lines arrive while the stream is open and that the
// stream (and the backend's follower) ends when the client goes away.
func TestLogsFollow(t *testing.T) {
	e := newEnv(t, Config{})
	seedLogs(e, 2)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/system/logs?name=echo&follow=true&tail=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	next := func() string {
		t.Helper()
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("stream ended early")
			}
			return l
		case <-time.After(5 * time.Second):
			t.Fatal("no line within 5s: not flushed per line")
		}
		return ""
	}
	if l := next(); !strings.Contains(l, `"text":"line b"`) {
		t.Fatalf("first line %q, want the tail line b", l)
	}
	if !eventually(t, 5*time.Second, func() bool { return e.fb.followers() == 1 }) {
		t.Fatal("backend has no follower")
	}
	for _, text := range []string{"live 1", "live 2"} {
		e.fb.emit(provider.LogMessage{Name: "echo", Namespace: provider.DefaultNamespace, Instance: "echo-0", Timestamp: time.Now(), Text: text})
		if l := next(); !strings.Contains(l, text) {
			t.Fatalf("line %q, want %q", l, text)
		}
	}
	cancel()
	if !eventually(t, 5*time.Second, func() bool { return e.fb.followers() == 0 }) {
		t.Fatal("follow stream still running after the client went away")
	}
}

func FuzzParseLogQuery(f *testing.F) {
	for _, q := range []string{"name=echo", "name=echo&tail=5&since=2026-01-01T00:00:00Z&follow=true",
		"name=a.b&namespace=b", "tail=-1", "name=%ff", "name=echo&since=2026-01-01T00:00:00.123456789%2B02:00", ""} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		req, err := parseLogQuery(q, provider.DefaultNamespace)
		if err != nil {
			if s := StatusFor(err); s != 400 && s != 422 {
				t.Fatalf("parseLogQuery(%q) error %v maps to %d", raw, err, s)
			}
			return
		}
		if provider.ValidateName("function", req.Name) != nil || provider.ValidateName("namespace", req.Namespace) != nil || req.Tail < 0 {
			t.Fatalf("parseLogQuery(%q) accepted %+v", raw, req)
		}
	})
}
