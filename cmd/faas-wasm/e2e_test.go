package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestEndToEnd drives the real binary the way faas-cli and the gateway do:
// deploy dance, invocation, secrets, logs, scaling to zero and back, and a
// restart that must lose nothing.
func TestEndToEnd(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	ref := pushEcho(t, registry, "echo")
	state := t.TempDir()
	outer := t
	p := startProvider(outer, state)

	deploy := provider.FunctionDeployment{
		Service:     "echo",
		Image:       ref,
		EnvVars:     map[string]string{"GREETING": "hello"},
		Secrets:     []string{"api-key"},
		Labels:      map[string]string{"team": "e2e"},
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
		Requests:    &provider.FunctionResources{Memory: "64Mi"},
	}

	t.Run("deploy dance", func(t *testing.T) {
		p.t = t
		// An unknown secret is refused before anything is deployed.
		body := p.expect(http.StatusBadRequest, http.MethodPost, "/system/functions", deploy)
		must(t, strings.Contains(body, "api-key"), "unknown secret error should name it: %q", body)
		p.expect(http.StatusAccepted, http.MethodPost, "/system/secrets", provider.Secret{Name: "api-key", Value: "s3cr3t"})
		p.expect(http.StatusConflict, http.MethodPost, "/system/secrets", provider.Secret{Name: "api-key", Value: "again"})
		// faas-cli deploy: PUT first, POST on 404.
		p.expect(http.StatusNotFound, http.MethodPut, "/system/functions", deploy)
		p.expect(http.StatusAccepted, http.MethodPost, "/system/functions", deploy)
		p.expect(http.StatusConflict, http.MethodPost, "/system/functions", deploy)
		p.expect(http.StatusAccepted, http.MethodPut, "/system/functions", deploy)
	})

	t.Run("status echoes the deployment", func(t *testing.T) {
		p.t = t
		var st provider.FunctionStatus
		must(t, json.Unmarshal([]byte(p.expect(http.StatusOK, http.MethodGet, "/system/function/echo?namespace=openfaas-fn", nil)), &st) == nil, "bad status JSON")
		must(t, st.Name == "echo" && st.Image == ref && st.Namespace == provider.DefaultNamespace, "status %+v", st)
		must(t, st.EnvVars["GREETING"] == "hello" && st.Labels["team"] == "e2e" && st.Labels[provider.LabelFunction] == "echo", "labels/env %+v", st)
		must(t, st.Requests != nil && st.Requests.Memory == "64Mi", "requests %+v", st.Requests)
		must(t, st.Replicas == 1 && st.AvailableReplicas == 1, "replicas %d/%d", st.AvailableReplicas, st.Replicas)
		must(t, !st.CreatedAt.IsZero(), "createdAt missing")
		var list []provider.FunctionStatus
		must(t, json.Unmarshal([]byte(p.expect(http.StatusOK, http.MethodGet, "/system/functions", nil)), &list) == nil && len(list) == 1, "list")
		p.expect(http.StatusBadRequest, http.MethodGet, "/system/functions?namespace=nope", nil)
	})

	t.Run("invoke", func(t *testing.T) {
		p.t = t
		code, body, hdr := p.do(http.MethodPost, "/function/echo.openfaas-fn/sub/path?x=1&y=two", "payload", "X-Call-Id", "call-42")
		must(t, code == http.StatusOK, "invoke = %d %q", code, body)
		for _, want := range []string{"method=POST", "path=/sub/path", "query=x=1&y=two", "call-id=call-42", "env=hello", "body=payload"} {
			must(t, strings.Contains(body, want), "response %q lacks %q", body, want)
		}
		must(t, hdr.Get("X-Call-Id") == "call-42" && hdr.Get("X-Start-Time") != "", "headers %v", hdr)
		code, body, hdr = p.do(http.MethodGet, "/function/echo", nil)
		must(t, code == http.StatusOK && hdr.Get("X-Call-Id") != "", "default namespace call = %d %q %v", code, body, hdr)
		code, _, _ = p.do(http.MethodGet, "/function/echo?status=201", nil)
		must(t, code == http.StatusCreated, "function status not passed through: %d", code)
		must(t, p.expect(http.StatusOK, http.MethodGet, "/function/echo?secret=api-key", nil) == "s3cr3t", "secret not readable")
		p.expect(http.StatusMethodNotAllowed, "TRACE", "/function/echo", nil)
		p.expect(http.StatusNotFound, http.MethodGet, "/function/nope", nil)
	})

	t.Run("secret update reaches the function", func(t *testing.T) {
		p.t = t
		p.expect(http.StatusAccepted, http.MethodPut, "/system/secrets", provider.Secret{Name: "api-key", Value: "rotated"})
		must(t, p.expect(http.StatusOK, http.MethodGet, "/function/echo?secret=api-key", nil) == "rotated", "secret update not visible")
		list := p.expect(http.StatusOK, http.MethodGet, "/system/secrets", nil)
		must(t, strings.Contains(list, "api-key") && !strings.Contains(list, "rotated"), "secret list %q", list)
		must(t, !strings.Contains(p.logs.String(), "rotated") && !strings.Contains(p.logs.String(), "s3cr3t"), "secret value in provider logs")
	})

	t.Run("logs", func(t *testing.T) {
		p.t = t
		body := p.expect(http.StatusOK, http.MethodGet, "/system/logs?name=echo&tail=50", nil)
		sc := bufio.NewScanner(strings.NewReader(body))
		var n int
		for sc.Scan() {
			var m provider.LogMessage
			must(t, json.Unmarshal(sc.Bytes(), &m) == nil, "not NDJSON: %q", sc.Text())
			must(t, m.Name == "echo" && m.Namespace == provider.DefaultNamespace && m.Instance != "", "log line %+v", m)
			if strings.Contains(m.Text, "echo called") {
				n++
			}
		}
		must(t, n >= 3, "want the function's stderr lines in the logs, got %d in %q", n, body)
		p.expect(http.StatusUnprocessableEntity, http.MethodGet, "/system/logs?name=echo&tail=many", nil)
		p.expect(http.StatusNotFound, http.MethodGet, "/system/logs?name=nope", nil)
	})

	t.Run("scale to zero and back on first call", func(t *testing.T) {
		p.t = t
		p.expect(http.StatusAccepted, http.MethodPost, "/system/scale-function/echo", provider.ScaleServiceRequest{ServiceName: "echo", Replicas: 0})
		var st provider.FunctionStatus
		must(t, json.Unmarshal([]byte(p.expect(http.StatusOK, http.MethodGet, "/system/function/echo", nil)), &st) == nil, "status")
		must(t, st.Replicas == 0 && st.AvailableReplicas == 0, "not scaled to zero: %+v", st)
		body := p.expect(http.StatusOK, http.MethodGet, "/function/echo?woken=1", nil)
		must(t, strings.Contains(body, "query=woken=1"), "woken call %q", body)
		must(t, json.Unmarshal([]byte(p.expect(http.StatusOK, http.MethodGet, "/system/function/echo", nil)), &st) == nil, "status")
		must(t, st.AvailableReplicas == 1, "not scaled back: %+v", st)
	})

	t.Run("restart loses nothing", func(t *testing.T) {
		p.t = t
		p.expect(http.StatusAccepted, http.MethodPost, "/system/namespace/team-a", provider.FunctionNamespace{Name: "team-a", Labels: map[string]string{"owner": "e2e"}})
		p.stop()
		p = startProvider(outer, state)
		p.t = t
		var st provider.FunctionStatus
		must(t, json.Unmarshal([]byte(p.expect(http.StatusOK, http.MethodGet, "/system/function/echo", nil)), &st) == nil, "status")
		must(t, st.Image == ref && st.EnvVars["GREETING"] == "hello" && st.InvocationCount >= 0, "restored status %+v", st)
		must(t, p.expect(http.StatusOK, http.MethodGet, "/function/echo?secret=api-key", nil) == "rotated", "secret lost over restart")
		must(t, strings.Contains(p.expect(http.StatusOK, http.MethodGet, "/system/namespaces", nil), "team-a"), "namespace lost over restart")
	})

	t.Run("delete", func(t *testing.T) {
		p.t = t
		p.expect(http.StatusAccepted, http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: "echo"})
		p.expect(http.StatusNotFound, http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{FunctionName: "echo"})
		p.expect(http.StatusNotFound, http.MethodGet, "/system/function/echo", nil)
		p.expect(http.StatusNotFound, http.MethodGet, "/function/echo", nil)
	})
}

// TestEndToEndBadInput checks that each kind of bad request gets a clear
// error and that a working function keeps serving throughout.
func TestEndToEndBadInput(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	ref := pushEcho(t, registry, "echo")
	p := startProvider(t, t.TempDir(), "--max-body-bytes", "1024")
	wasm := map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}
	p.expect(http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "good", Image: ref, Annotations: wasm})

	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   any
		code   int
		says   string
	}{
		{"bad json", http.MethodPost, "/system/functions", `{"service":`, http.StatusBadRequest, "JSON"},
		{"missing image", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "x"}, http.StatusBadRequest, "image"},
		{"missing service", http.MethodPost, "/system/functions", provider.FunctionDeployment{Image: ref}, http.StatusBadRequest, "service"},
		{"not a DNS label", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "Bad_Name", Image: ref}, http.StatusBadRequest, "DNS-1123"},
		{"unknown namespace", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "x", Image: ref, Namespace: "nope", Annotations: wasm}, http.StatusBadRequest, "nope"},
		{"image does not exist", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "x", Image: registry + "/missing:1", Annotations: wasm}, http.StatusBadRequest, "not found"},
		{"registry unreachable", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "x", Image: ocitest.ClosedAddr(t) + "/echo:1", Annotations: wasm}, http.StatusBadRequest, "unreachable"},
		{"container without containerd", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "x", Image: ref, Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeContainer}}, http.StatusNotImplemented, "containerd"},
		{"memory limit below the module's needs", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "x", Image: ref, Annotations: wasm, Limits: &provider.FunctionResources{Memory: "64Ki"}}, http.StatusBadRequest, "memory"},
		{"memory limit not a quantity", http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "x", Image: ref, Annotations: wasm, Limits: &provider.FunctionResources{Memory: "lots"}}, http.StatusBadRequest, "memory"},
		{"body too large", http.MethodPost, "/function/good", strings.Repeat("x", 4096), http.StatusRequestEntityTooLarge, ""},
		{"scale bad json", http.MethodPost, "/system/scale-function/good", `[`, http.StatusBadRequest, ""},
		{"delete empty name", http.MethodDelete, "/system/functions", provider.DeleteFunctionRequest{}, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.t = t
			body := p.expect(tc.code, tc.method, tc.path, tc.body)
			must(t, strings.Contains(strings.ToLower(body), strings.ToLower(tc.says)), "error %q should mention %q", body, tc.says)
			must(t, strings.Contains(p.expect(http.StatusOK, http.MethodGet, "/function/good?after=1", nil), "query=after=1"), "good function stopped answering")
		})
	}
}

// TestEndToEndBasicAuth checks that --basic-auth guards every /system route,
// namespaces included, and leaves /healthz and /function open.
func TestEndToEndBasicAuth(t *testing.T) {
	secrets := t.TempDir()
	must(t, os.WriteFile(filepath.Join(secrets, "basic-auth-user"), []byte("admin\n"), 0o600) == nil, "write user")
	must(t, os.WriteFile(filepath.Join(secrets, "basic-auth-password"), []byte("pa55\n"), 0o600) == nil, "write password")
	p := startProvider(t, t.TempDir(), "--basic-auth", "--secret-mount-path", secrets)
	for _, path := range []string{"/system/functions", "/system/info", "/system/namespaces", "/system/namespace/openfaas-fn", "/system/secrets"} {
		code, _, hdr := p.do(http.MethodGet, path, nil)
		must(t, code == http.StatusUnauthorized && strings.Contains(hdr.Get("WWW-Authenticate"), "Basic"), "%s without credentials = %d", path, code)
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, p.url+path, nil)
		req.SetBasicAuth("admin", "pa55")
		resp, err := http.DefaultClient.Do(req)
		must(t, err == nil && resp.StatusCode == http.StatusOK, "%s with credentials: %v %v", path, err, resp)
		resp.Body.Close()
		req.SetBasicAuth("admin", "wrong")
		resp, err = http.DefaultClient.Do(req)
		must(t, err == nil && resp.StatusCode == http.StatusUnauthorized, "%s with a wrong password: %v", path, err)
		resp.Body.Close()
	}
	p.expect(http.StatusOK, http.MethodGet, "/healthz", nil)
	p.expect(http.StatusNotFound, http.MethodGet, "/function/none", nil)
	must(t, !strings.Contains(p.logs.String(), "pa55"), "password in logs")
}
