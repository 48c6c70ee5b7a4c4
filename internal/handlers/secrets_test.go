package handlers

import (
	"reflect"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestSecretRoutes(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		wantBody                 string
	}{
		{"list", "GET", "/system/secrets", "", 200, `[{"name":"db","namespace":"openfaas-fn"}]`},
		{"list empty namespace", "GET", "/system/secrets?namespace=dev", "", 200, `[]`},
		{"list unknown namespace", "GET", "/system/secrets?namespace=nope", "", 400, "does not exist"},
		{"create", "POST", "/system/secrets", `{"name":"api-key","value":"s3cr3t-value"}`, 202, ""},
		{"create raw", "POST", "/system/secrets", `{"name":"cert","rawValue":"czNjcjN0LXZhbHVl"}`, 202, ""},
		{"create in namespace", "POST", "/system/secrets", `{"name":"api-key","namespace":"dev","value":"s3cr3t-value"}`, 202, ""},
		{"create query namespace", "POST", "/system/secrets?namespace=dev", `{"name":"api-key","value":"s3cr3t-value"}`, 202, ""},
		{"create exists", "POST", "/system/secrets", `{"name":"db","value":"s3cr3t-value"}`, 409, "already exists"},
		{"create unknown namespace", "POST", "/system/secrets", `{"name":"x","namespace":"nope","value":"s3cr3t-value"}`, 404, "not found"},
		{"create no name", "POST", "/system/secrets", `{"value":"s3cr3t-value"}`, 400, "name is required"},
		{"create bad name", "POST", "/system/secrets", `{"name":"DB_PASS","value":"s3cr3t-value"}`, 400, "DNS-1123"},
		{"create bad json", "POST", "/system/secrets", `{"name":"x","value":`, 400, "not valid JSON"},
		{"create bad base64", "POST", "/system/secrets", `{"name":"x","rawValue":"%%%"}`, 400, "not valid JSON"},
		{"update", "PUT", "/system/secrets", `{"name":"db","value":"s3cr3t-value"}`, 202, ""},
		{"update missing", "PUT", "/system/secrets", `{"name":"nope","value":"s3cr3t-value"}`, 404, "not found"},
		{"delete", "DELETE", "/system/secrets", `{"name":"db"}`, 202, ""},
		{"delete missing", "DELETE", "/system/secrets", `{"name":"nope"}`, 404, "not found"},
		{"delete bad json", "DELETE", "/system/secrets", `x`, 400, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			e.fb.namespaces["dev"] = provider.FunctionNamespace{Name: "dev"}
			e.fb.secrets[key("db", provider.DefaultNamespace)] = provider.Secret{Name: "db", Namespace: provider.DefaultNamespace, Value: "s3cr3t-value"}
			resp, body := e.do(tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d %q, want %d", tc.method, tc.path, resp.StatusCode, body, tc.want)
			}
			if !strings.Contains(body, tc.wantBody) {
				t.Fatalf("body %q does not contain %q", body, tc.wantBody)
			}
			if strings.Contains(body, "s3cr3t") || strings.Contains(body, "czNjcjN0") {
				t.Fatalf("secret value in response %q", body)
			}
			if logs := e.log.String(); strings.Contains(logs, "s3cr3t") || strings.Contains(logs, "czNjcjN0") {
				t.Fatalf("secret value in logs:\n%s", logs)
			}
		})
	}
}

// TestSecretStored checks that the value reaches the backend intact.
func TestSecretStored(t *testing.T) {
	e := newEnv(t, Config{})
	if resp, body := e.do("POST", "/system/secrets", `{"name":"k","value":"v","rawValue":"cmF3"}`); resp.StatusCode != 202 {
		t.Fatalf("create = %d %q", resp.StatusCode, body)
	}
	s := e.fb.secrets[key("k", provider.DefaultNamespace)]
	if got := string(s.Data()); got != "raw" {
		t.Fatalf("stored %q, want raw (rawValue wins)", got)
	}
}

func TestNamespaceRoutes(t *testing.T) {
	for _, tc := range []struct {
		name, method, path, body string
		want                     int
		wantBody                 string
	}{
		{"list", "GET", "/system/namespaces", "", 200, `["dev","openfaas-fn"]`},
		{"get", "GET", "/system/namespace/dev", "", 200, `{"name":"dev","labels":{"team":"a"}}`},
		{"get missing", "GET", "/system/namespace/nope", "", 404, "not found"},
		{"get bad name", "GET", "/system/namespace/Nope", "", 400, "DNS-1123"},
		{"create", "POST", "/system/namespace/staging", `{"labels":{"team":"b"}}`, 202, ""},
		{"create without body", "POST", "/system/namespace/staging", "", 202, ""},
		{"create exists", "POST", "/system/namespace/dev", "", 409, "already exists"},
		{"create name mismatch", "POST", "/system/namespace/staging", `{"name":"other"}`, 400, "differs"},
		{"create bad json", "POST", "/system/namespace/staging", `{`, 400, "not valid JSON"},
		{"create bad name", "POST", "/system/namespace/a.b", "", 400, "DNS-1123"},
		// faas-cli 0.18's namespace create: the name in the body, the path ends in a slash.
		{"create in body", "POST", "/system/namespace/", `{"name":"staging","labels":{"openfaas":"1"},"annotations":{"openfaas":"1"}}`, 202, ""},
		{"create in body exists", "POST", "/system/namespace/", `{"name":"dev"}`, 409, "already exists"},
		{"create in body no name", "POST", "/system/namespace/", `{"labels":{"openfaas":"1"}}`, 400, "name is required"},
		{"create in body no body", "POST", "/system/namespace/", "", 400, "name is required"},
		{"create in body bad name", "POST", "/system/namespace/", `{"name":"Bad_NS"}`, 400, "DNS-1123"},
		{"create in body bad json", "POST", "/system/namespace/", `{"name":`, 400, "not valid JSON"},
		{"get without name", "GET", "/system/namespace/", "", 405, "not allowed"},
		{"update", "PUT", "/system/namespace/dev", `{"name":"dev","annotations":{"x":"y"}}`, 202, ""},
		{"update missing", "PUT", "/system/namespace/nope", `{}`, 404, "not found"},
		{"delete", "DELETE", "/system/namespace/dev", "", 202, ""},
		{"delete missing", "DELETE", "/system/namespace/nope", "", 404, "not found"},
		{"delete default", "DELETE", "/system/namespace/openfaas-fn", "", 400, "default namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			e.fb.namespaces["dev"] = provider.FunctionNamespace{Name: "dev", Labels: map[string]string{"team": "a"}}
			resp, body := e.do(tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d %q, want %d", tc.method, tc.path, resp.StatusCode, body, tc.want)
			}
			if !strings.Contains(body, tc.wantBody) {
				t.Fatalf("body %q does not contain %q", body, tc.wantBody)
			}
		})
	}
}

// TestCreateNamespaceInBody replays faas-cli 0.18's `namespace create`
// request and checks what the backend is given.
func TestCreateNamespaceInBody(t *testing.T) {
	e := newEnv(t, Config{})
	resp, body := e.do("POST", "/system/namespace/",
		`{"name":"team-b","annotations":{"openfaas":"1"},"labels":{"openfaas":"1","team":"b"}}`,
		"Content-Type", "application/json")
	if resp.StatusCode != 202 {
		t.Fatalf("create = %d %q", resp.StatusCode, body)
	}
	got := e.fb.namespaces["team-b"]
	want := provider.FunctionNamespace{Name: "team-b",
		Annotations: map[string]string{"openfaas": "1"}, Labels: map[string]string{"openfaas": "1", "team": "b"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("stored %+v, want %+v", got, want)
	}
	if resp, _ := e.do("GET", "/system/namespace/team-b", ""); resp.StatusCode != 200 {
		t.Fatalf("get after create = %d", resp.StatusCode)
	}
}

// TestNamespaceLifecycle creates a namespace, deploys into it and deletes it.
func TestNamespaceLifecycle(t *testing.T) {
	e := newEnv(t, Config{})
	steps := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/system/namespace/team-a", `{"labels":{"owner":"x"}}`, 202},
		{"GET", "/system/functions?namespace=team-a", "", 200},
		{"POST", "/system/functions", `{"service":"f","image":"r/f:1","namespace":"team-a"}`, 202},
		{"GET", "/system/function/f.team-a", "", 200},
		{"DELETE", "/system/namespace/team-a", "", 202},
		{"GET", "/system/namespace/team-a", "", 404},
		{"GET", "/system/functions?namespace=team-a", "", 400},
	}
	for _, s := range steps {
		if resp, body := e.do(s.method, s.path, s.body); resp.StatusCode != s.want {
			t.Fatalf("%s %s = %d %q, want %d", s.method, s.path, resp.StatusCode, body, s.want)
		}
	}
}
