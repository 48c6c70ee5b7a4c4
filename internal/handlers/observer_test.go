package handlers

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/faas-wasm/faas-wasm/provider"
)

// recordingObserver keeps what it is told, as "name.ns code" lines.
type recordingObserver struct {
	mu     sync.Mutex
	begun  []string
	ended  []string
	wakes  []string
	flying int
}

func (o *recordingObserver) Invocation(name, ns string) func(int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.begun = append(o.begun, name+"."+ns)
	o.flying++
	return func(code int) {
		o.mu.Lock()
		defer o.mu.Unlock()
		o.flying--
		o.ended = append(o.ended, name+"."+ns+" "+http.StatusText(code))
	}
}

func (o *recordingObserver) WokeFromZero(name, ns string, _ time.Duration, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.wakes = append(o.wakes, name+"."+ns+" "+map[bool]string{true: "ready", false: "failed"}[err == nil])
}

func TestInvokeObserved(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		atZero                   bool
		wantBegun, wantEnded     []string
		wantWakes                []string
	}{
		{name: "call counted once with its code", method: "GET", path: "/function/echo/x",
			wantBegun: []string{"echo.openfaas-fn"}, wantEnded: []string{"echo.openfaas-fn OK"}},
		{name: "namespace in the path", method: "POST", path: "/function/dev-fn.dev", body: "x",
			wantBegun: []string{"dev-fn.dev"}, wantEnded: []string{"dev-fn.dev OK"}},
		{name: "unknown function is not an invocation", method: "GET", path: "/function/nope",
			wantBegun: []string{"nope.openfaas-fn"}, wantEnded: []string{"nope.openfaas-fn "}},
		{name: "refused body is not an invocation", method: "POST", path: "/function/echo", body: strings.Repeat("x", 65),
			wantBegun: []string{"echo.openfaas-fn"}, wantEnded: []string{"echo.openfaas-fn "}},
		{name: "bad name is never observed", method: "GET", path: "/function/Bad_Name"},
		{name: "bad method is never observed", method: "TRACE", path: "/function/echo"},
		{name: "scale from zero is timed and the call counted", method: "GET", path: "/function/echo", atZero: true,
			wantBegun: []string{"echo.openfaas-fn"}, wantEnded: []string{"echo.openfaas-fn OK"},
			wantWakes: []string{"echo.openfaas-fn ready"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := &recordingObserver{}
			e := newEnv(t, Config{MaxBodyBytes: 64, Observer: obs})
			e.deploy("echo", "", nil)
			e.deploy("dev-fn", "dev", nil)
			if tc.atZero {
				e.fb.functions[key("echo", provider.DefaultNamespace)].status.Replicas = 0
				e.fb.readyDelay = 20 * time.Millisecond
			}
			e.do(tc.method, tc.path, tc.body)
			obs.mu.Lock()
			defer obs.mu.Unlock()
			if !slices.Equal(obs.begun, tc.wantBegun) || !slices.Equal(obs.ended, tc.wantEnded) || !slices.Equal(obs.wakes, tc.wantWakes) {
				t.Fatalf("begun %q ended %q wakes %q; want %q %q %q", obs.begun, obs.ended, obs.wakes, tc.wantBegun, tc.wantEnded, tc.wantWakes)
			}
			if obs.flying != 0 {
				t.Fatalf("%d calls left in flight", obs.flying)
			}
		})
	}
}

func TestInvokeObservedUnavailable(t *testing.T) {
	obs := &recordingObserver{}
	e := newEnv(t, Config{Observer: obs, ScaleFromZeroTimeout: 30 * time.Millisecond})
	e.deploy("echo", "", nil)
	e.fb.functions[key("echo", provider.DefaultNamespace)].status.Replicas = 0
	e.fb.readyDelay = time.Hour
	if resp, _ := e.do("GET", "/function/echo", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", resp.StatusCode)
	}
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if !slices.Equal(obs.ended, []string{"echo.openfaas-fn Service Unavailable"}) || !slices.Equal(obs.wakes, []string{"echo.openfaas-fn failed"}) {
		t.Fatalf("ended %q wakes %q", obs.ended, obs.wakes)
	}
}

func TestMetricsRoute(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("up 1\n")) })
	creds := &Credentials{User: "u", Password: "p"}
	for _, tc := range []struct {
		name     string
		cfg      Config
		want     int
		wantBody string
	}{
		{"served without credentials", Config{Metrics: metrics, Auth: creds}, 200, "up 1\n"},
		{"absent handler answers 404", Config{}, 404, "metrics are not enabled\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.cfg)
			resp, body := e.do("GET", "/metrics", "")
			if resp.StatusCode != tc.want || body != tc.wantBody {
				t.Fatalf("GET /metrics = %d %q, want %d %q", resp.StatusCode, body, tc.want, tc.wantBody)
			}
		})
	}
}
