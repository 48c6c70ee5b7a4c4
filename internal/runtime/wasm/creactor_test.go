package wasm

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCReactorWarm runs the C SDK's hello example built as a reactor
// (FW_REACTOR, clang -mexec-model=reactor) in warm mode with one slot:
// each call sees its own request and nothing of the one before (query,
// header, body), the function's own variable stays, a failing handler
// fails the call as it fails a command module (exit code 1 there,
// faas_handle's 1 here: a 500) and later calls still answer, and
// /_/health is answered by the SDK. That warm calls reuse the instance is
// asserted by TestCReactorInstances.
func TestCReactorWarm(t *testing.T) {
	module, err := buildC(filepath.Join(cSDK, "examples", "hello.c"), "-mexec-model=reactor")
	if err != nil {
		t.Fatal(err)
	}
	f := deploy(t, module, Config{Mode: ModeWarm, MaxConcurrency: 1, Env: map[string]string{"greeting": "Hi"}})
	if f.module.Shape() != ShapeReactor {
		t.Fatalf("shape %v, want reactor", f.module.Shape())
	}
	for _, c := range []struct {
		method, path, query, callID, body string
		status                            int
		want                              string
	}{
		{"POST", "/fn/path", "name=ann", "c1", "hello", 200, "Hi, ann! POST /fn/path call=c1 body=hello\n"},
		{"GET", "/fn/path", "", "", "", 200, "Hi, world! GET /fn/path call=- body=\n"},
		{"GET", "/fail", "", "c3", "", 500, ""},
		{"GET", "/_/health", "", "", "", 200, "OK"},
		{"PUT", "/again", "name=bob", "c5", "x", 200, "Hi, bob! PUT /again call=c5 body=x\n"},
	} {
		h := http.Header{}
		if c.callID != "" {
			h.Set("X-Call-Id", c.callID)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		resp, err := f.Invoke(ctx, &Request{Method: c.method, Path: c.path, RawQuery: c.query, Host: "gw", Header: h, Body: []byte(c.body)})
		cancel()
		if c.status == 500 {
			if err == nil || ErrorStatus(err) != 500 {
				t.Errorf("%s %s: %v, want a failed call (500)", c.method, c.path, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		if resp.Status != c.status || string(resp.Body) != c.want || resp.Header.Get("X-Duration-Seconds") == "" {
			t.Errorf("%s %s?%s: %d %q %v, want %d %q", c.method, c.path, c.query, resp.Status, resp.Body, resp.Header, c.status, c.want)
		}
	}
}

// countingC is a C SDK reactor that answers how many calls its instance
// has served; /fail fails the call (faas_handle returns 1), /trap traps.
const countingC = `#include <stdio.h>
#include <string.h>
#include "faaswasm.h"

static int calls;

static int handle(const fw_request *req) {
  char out[32];
  calls++;
  if (!strcmp(req->path, "/fail")) return 1;
  if (!strcmp(req->path, "/trap")) __builtin_trap();
  int n = snprintf(out, sizeof out, "%d", calls);
  fw_respond(200, "text/plain", out, (size_t)n);
  return 0;
}

FW_REACTOR(handle)
`

// TestCReactorInstances: with a C SDK reactor, warm mode serves call after
// call on one instance (its counter grows; a failed call keeps the
// instance, a trap discards it and the next call starts a new one), and
// fresh mode gives every call a new instance (the counter is always 1).
func TestCReactorInstances(t *testing.T) {
	src := filepath.Join(t.TempDir(), "counting.c")
	if err := os.WriteFile(src, []byte(countingC), 0o644); err != nil {
		t.Fatal(err)
	}
	module, err := buildC(src, "-mexec-model=reactor")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode  Mode
		calls []string // path and the answer, "500" for a failed call
	}{
		{ModeWarm, []string{"/ 1", "/ 2", "/fail 500", "/ 4", "/trap 500", "/ 1", "/ 2"}},
		{ModeFresh, []string{"/ 1", "/ 1", "/fail 500", "/ 1", "/trap 500", "/ 1"}},
	} {
		t.Run(c.mode.String(), func(t *testing.T) {
			f := deploy(t, module, Config{Mode: c.mode, MaxConcurrency: 1})
			for i, pc := range c.calls {
				path, want, _ := strings.Cut(pc, " ")
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				resp, err := f.Invoke(ctx, &Request{Method: "GET", Path: path, Host: "gw", Header: http.Header{}})
				cancel()
				got := ""
				switch {
				case err != nil:
					got = strconv.Itoa(ErrorStatus(err))
				case resp.Status == 200:
					got = string(resp.Body)
				default:
					got = fmt.Sprintf("status %d", resp.Status)
				}
				if got != want {
					t.Errorf("call %d (%s): %q, want %q (err %v)", i+1, path, got, want, err)
				}
			}
		})
	}
}
