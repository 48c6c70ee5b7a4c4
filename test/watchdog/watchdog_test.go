package main

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/internal/syncbuf"
)

// script writes an executable shell script and returns its path.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fn.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHandler(t *testing.T) {
	envScript := script(t, `printf '%s|%s|%s|%s|%s' "$Http_Method" "$Http_Path" "$Http_Query" "$Http_X_Call_Id" "$Http_Content_Type"`)
	failScript := script(t, `echo "boom" >&2; exit 3`)
	sleepScript := script(t, `exec sleep 5`)

	tests := []struct {
		name       string
		process    string
		method     string
		path       string
		body       string
		header     map[string]string
		maxBody    int64
		wantStatus int
		wantBody   string
		wantLog    []string
	}{
		{name: "echo body", process: "cat", method: "POST", path: "/", body: "hello", wantStatus: 200, wantBody: "hello",
			wantLog: []string{"Forking fprocess.", "Wrote 5 Bytes"}},
		{name: "classic env", process: envScript, method: "PUT", path: "/a/b?x=1&y=2", header: map[string]string{"X-Call-Id": "c1", "Content-Type": "text/csv"},
			wantStatus: 200, wantBody: "PUT|/a/b|x=1&y=2|c1|text/csv"},
		{name: "health", process: "cat", method: "GET", path: "/_/health", wantStatus: 200, wantBody: "OK"},
		{name: "non-zero exit is 500", process: failScript, method: "POST", path: "/", wantStatus: 500, wantBody: "exit status 3",
			wantLog: []string{"boom", "fprocess failed"}},
		{name: "exec timeout is 504", process: sleepScript, method: "GET", path: "/", wantStatus: 504, wantBody: "exec_timeout"},
		{name: "body too large", process: "cat", method: "POST", path: "/", body: strings.Repeat("x", 100), maxBody: 10, wantStatus: 413},
		{name: "missing program is 500", process: "/nonexistent/fn", method: "GET", path: "/", wantStatus: 500, wantBody: "fprocess failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logs := &syncbuf.Buffer{}
			maxBody := tc.maxBody
			if maxBody == 0 {
				maxBody = 1 << 20
			}
			cfg := config{process: strings.Fields(tc.process), execTimeout: 300 * time.Millisecond, maxBody: maxBody, stderr: logs}
			srv := httptest.NewServer(newHandler(cfg, log.New(logs, "", 0)))
			t.Cleanup(srv.Close)

			req, err := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %q)", resp.StatusCode, tc.wantStatus, got)
			}
			if !strings.Contains(string(got), tc.wantBody) {
				t.Errorf("body = %q, want it to contain %q", got, tc.wantBody)
			}
			if tc.path != "/_/health" && tc.wantStatus != http.StatusRequestEntityTooLarge && resp.Header.Get("X-Duration-Seconds") == "" {
				t.Error("X-Duration-Seconds missing")
			}
			for _, want := range tc.wantLog {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("log %q does not contain %q", logs.String(), want)
				}
			}
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr bool
		check   func(t *testing.T, c config)
	}{
		{name: "defaults", env: map[string]string{"fprocess": "cat -u"}, check: func(t *testing.T, c config) {
			if c.port != "8080" || c.execTimeout != 30*time.Second || len(c.process) != 2 {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "seconds timeout", env: map[string]string{"fprocess": "cat", "exec_timeout": "7"}, check: func(t *testing.T, c config) {
			if c.execTimeout != 7*time.Second {
				t.Errorf("execTimeout = %s", c.execTimeout)
			}
		}},
		{name: "duration timeout and port", env: map[string]string{"fprocess": "cat", "exec_timeout": "1500ms", "port": "9000"}, check: func(t *testing.T, c config) {
			if c.execTimeout != 1500*time.Millisecond || c.port != "9000" {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "missing fprocess", env: map[string]string{}, wantErr: true},
		{name: "bad port", env: map[string]string{"fprocess": "cat", "port": "http"}, wantErr: true},
		{name: "bad timeout", env: map[string]string{"fprocess": "cat", "exec_timeout": "-1s"}, wantErr: true},
		{name: "bad max body", env: map[string]string{"fprocess": "cat", "max_body_bytes": "0"}, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := configFromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, config{process: []string{"cat"}, port: port, execTimeout: time.Second, maxBody: 1024, stderr: io.Discard}, log.New(io.Discard, "", 0))
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:" + port + "/_/health")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watchdog never answered: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
}
