package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestStatusFor(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{provider.ErrNotFound, 404},
		{provider.ErrAlreadyExists, 409},
		{provider.ErrInvalid, 400},
		{provider.ErrImage, 400},
		{provider.ErrTooLarge, 413},
		{provider.ErrNotImplemented, 501},
		{provider.ErrUnavailable, 503},
		{errUnprocessable, 422},
		{errors.New("disk on fire"), 500},
		{fmt.Errorf("deploy x: %w", fmt.Errorf("pull: %w", provider.ErrImage)), 400},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			if got := StatusFor(tc.err); got != tc.want {
				t.Fatalf("StatusFor(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

// validRequests are requests each route accepts, keyed by route name.
var validRequests = map[string]string{
	"deploy":                `{"service":"echo","image":"r/echo:1"}`,
	"update":                `{"service":"echo","image":"r/echo:1"}`,
	"delete":                `{"functionName":"echo"}`,
	"scale":                 `{"serviceName":"echo","replicas":1}`,
	"create-secret":         `{"name":"s","value":"v"}`,
	"update-secret":         `{"name":"s","value":"v"}`,
	"delete-secret":         `{"name":"s"}`,
	"create-namespace":      `{}`,
	"create-namespace-body": `{"name":"dev"}`,
	"update-namespace":      `{}`,
	"alert":                 `{"status":"firing","alerts":[{"status":"firing","labels":{"alertname":"APIHighInvocationRate","function_name":"echo"}}]}`,
}

// TestBackendErrorsOverRoutes makes the backend fail with each error class
// on every route that calls it and checks the one shared mapping applies.
func TestBackendErrorsOverRoutes(t *testing.T) {
	classes := []struct {
		class error
		want  int
	}{
		{provider.ErrAlreadyExists, 409},
		{provider.ErrNotImplemented, 501},
		{provider.ErrImage, 400},
		{provider.ErrTooLarge, 413},
		{errors.New("disk on fire"), 500},
	}
	for _, r := range Routes() {
		// The console's routes call no backend here (Config.Console is nil).
		if r.Name == "info" || r.Name == "metrics" || strings.HasPrefix(r.Name, "healthz") || strings.HasPrefix(r.Name, "console") {
			continue
		}
		for _, c := range classes {
			t.Run(r.Name+"/"+c.class.Error(), func(t *testing.T) {
				e := newEnv(t, Config{Async: &fakeQueue{}})
				e.fb.fail = fmt.Errorf("backend: %w", c.class)
				method := r.Method
				if method == "" {
					method = http.MethodPost
				}
				path := routeURL(r)
				if r.Name == "logs" {
					path += "?name=echo"
				}
				resp, body := e.do(method, path, validRequests[r.Name])
				if resp.StatusCode != c.want {
					t.Fatalf("%s %s with backend error %v = %d %q, want %d", method, path, c.class, resp.StatusCode, body, c.want)
				}
				if !strings.Contains(body, c.class.Error()) {
					t.Fatalf("message %q does not say what is wrong", body)
				}
				if logged := strings.Contains(e.log.String(), "disk on fire"); logged != (c.want == 500) {
					t.Fatalf("server error logged=%v, want %v; log:\n%s", logged, c.want == 500, e.log.String())
				}
			})
		}
	}
}
