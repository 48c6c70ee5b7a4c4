package handlers

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

func TestFunctionRoutes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		method     string
		path, body string
		want       int
		wantBody   string // substring of the body
	}{
		{"list", "GET", "/system/functions", "", 200, `"name":"echo"`},
		{"list other namespace", "GET", "/system/functions?namespace=dev", "", 200, `"name":"dev-fn"`},
		{"list empty namespace is []", "GET", "/system/functions?namespace=empty", "", 200, "[]"},
		{"list unknown namespace", "GET", "/system/functions?namespace=nope", "", 400, `namespace "nope" does not exist`},
		{"list invalid namespace", "GET", "/system/functions?namespace=Bad_NS", "", 400, "DNS-1123"},
		{"get", "GET", "/system/function/echo", "", 200, `"faas_function":"echo"`},
		{"get with namespace", "GET", "/system/function/dev-fn?namespace=dev", "", 200, `"namespace":"dev"`},
		{"get dotted name", "GET", "/system/function/dev-fn.dev", "", 200, `"namespace":"dev"`},
		{"get missing", "GET", "/system/function/nope", "", 404, "not found"},
		{"get bad name", "GET", "/system/function/Nope", "", 400, "DNS-1123"},
		{"get namespace conflict", "GET", "/system/function/dev-fn.dev?namespace=openfaas-fn", "", 400, "differs"},
		{"deploy", "POST", "/system/functions", `{"service":"new","image":"r/new:1"}`, 202, ""},
		{"deploy exists", "POST", "/system/functions", `{"service":"echo","image":"r/echo:1"}`, 409, "already exists"},
		{"deploy bad json", "POST", "/system/functions", `{"service":`, 400, "not valid JSON"},
		{"deploy wrong type", "POST", "/system/functions", `{"service":1}`, 400, "not valid JSON"},
		{"deploy two values", "POST", "/system/functions", `{"service":"a","image":"b"}{}`, 400, "more than one"},
		{"deploy empty body", "POST", "/system/functions", ``, 400, "empty"},
		{"deploy no service", "POST", "/system/functions", `{"image":"r/x:1"}`, 400, "service is required"},
		{"deploy no image", "POST", "/system/functions", `{"service":"x"}`, 400, "image is required"},
		{"deploy bad name", "POST", "/system/functions", `{"service":"My_Fn","image":"r/x:1"}`, 400, "DNS-1123"},
		{"deploy unknown namespace", "POST", "/system/functions", `{"service":"x","image":"r/x:1","namespace":"nope"}`, 400, "namespace nope"},
		{"deploy unknown secret", "POST", "/system/functions", `{"service":"x","image":"r/x:1","secrets":["nope"]}`, 400, "secret nope"},
		{"update unknown secret", "PUT", "/system/functions", `{"service":"echo","image":"r/x:1","secrets":["nope"]}`, 400, "secret nope"},
		{"deploy bad secret name", "POST", "/system/functions", `{"service":"x","image":"r/x:1","secrets":["A B"]}`, 400, "secret name"},
		{"deploy bad scale label", "POST", "/system/functions", `{"service":"x","image":"r/x:1","labels":{"com.openfaas.scale.min":"two"}}`, 400, "com.openfaas.scale.min"},
		// Regression: on 3cc211a a bad scale type or target was accepted
		// (202) and the autoscaler then left the function alone for ever.
		{"deploy bad scale type", "POST", "/system/functions", `{"service":"x","image":"r/x:1","labels":{"com.openfaas.scale.type":"memory"}}`, 400, "com.openfaas.scale.type"},
		{"deploy bad scale target", "POST", "/system/functions", `{"service":"x","image":"r/x:1","labels":{"com.openfaas.scale.target":"-1"}}`, 400, "com.openfaas.scale.target"},
		{"deploy bad memory", "POST", "/system/functions", `{"service":"x","image":"r/x:1","limits":{"memory":"lots"}}`, 400, "memory"},
		{"deploy bad runtime", "POST", "/system/functions", `{"service":"x","image":"r/x:1","annotations":{"com.openfaas.runtime":"jvm"}}`, 400, "com.openfaas.runtime"},
		// Regression cases of issue 16 (5770c34 answered 400, 202, 202):
		// quantities are Kubernetes', Wasm annotations are checked here too.
		{"deploy memory 1e9", "POST", "/system/functions", `{"service":"x","image":"r/x:1","limits":{"memory":"1e9","cpu":"0.5m"}}`, 202, ""},
		{"deploy memory 1K", "POST", "/system/functions", `{"service":"x","image":"r/x:1","limits":{"memory":"1K"}}`, 400, "is not a Kubernetes quantity"},
		{"deploy wasm mode hot", "POST", "/system/functions", `{"service":"x","image":"r/x:1","annotations":{"com.openfaas.wasm.mode":"hot"}}`, 400, "com.openfaas.wasm.mode"},
		{"deploy bad env name", "POST", "/system/functions", `{"service":"x","image":"r/x:1","envVars":{"A=B":"c"}}`, 400, "environment variable"},
		{"update", "PUT", "/system/functions", `{"service":"echo","image":"r/echo:2"}`, 202, ""},
		{"update missing", "PUT", "/system/functions", `{"service":"nope","image":"r/x:1"}`, 404, "not found"},
		{"update bad json", "PUT", "/system/functions", `[`, 400, "not valid JSON"},
		{"delete", "DELETE", "/system/functions", `{"functionName":"echo"}`, 202, ""},
		{"delete by query namespace", "DELETE", "/system/functions?namespace=dev", `{"functionName":"dev-fn"}`, 202, ""},
		{"delete missing", "DELETE", "/system/functions", `{"functionName":"nope"}`, 404, "not found"},
		{"delete empty name", "DELETE", "/system/functions", `{"functionName":""}`, 400, "functionName is required"},
		{"delete bad json", "DELETE", "/system/functions", `nope`, 400, "not valid JSON"},
		{"scale", "POST", "/system/scale-function/echo", `{"serviceName":"echo","replicas":3}`, 202, ""},
		{"scale to zero", "POST", "/system/scale-function/echo", `{"serviceName":"echo","replicas":0}`, 202, ""},
		{"scale namespace", "POST", "/system/scale-function/dev-fn?namespace=dev", `{"serviceName":"dev-fn","replicas":2,"namespace":"dev"}`, 202, ""},
		{"scale missing", "POST", "/system/scale-function/nope", `{"serviceName":"nope","replicas":1}`, 404, "not found"},
		{"scale bad json", "POST", "/system/scale-function/echo", `{"replicas":-1}`, 400, "not valid JSON"},
		{"scale name mismatch", "POST", "/system/scale-function/echo", `{"serviceName":"other","replicas":1}`, 400, "differs"},
		{"info", "GET", "/system/info", "", 200, `"provider":"faas-wasm"`},
		{"healthz", "GET", "/healthz", "", 200, "OK"},
		{"healthz head", "HEAD", "/healthz", "", 200, ""},
		{"wrong method", "PATCH", "/system/functions", `{}`, 405, "not allowed"},
		{"unknown route", "GET", "/system/nothing", "", 404, "no such route"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{})
			e.deploy("echo", "", nil)
			e.deploy("dev-fn", "dev", nil)
			e.fb.namespaces["empty"] = provider.FunctionNamespace{Name: "empty"}
			resp, body := e.do(tc.method, tc.path, tc.body)
			if resp.StatusCode != tc.want {
				t.Fatalf("%s %s = %d %q, want %d", tc.method, tc.path, resp.StatusCode, body, tc.want)
			}
			if !strings.Contains(body, tc.wantBody) {
				t.Fatalf("body %q does not contain %q", body, tc.wantBody)
			}
			ct := resp.Header.Get("Content-Type")
			switch {
			case tc.want >= 400 && !strings.HasPrefix(ct, "text/plain"):
				t.Fatalf("error answered as %q, want text/plain", ct)
			case tc.want == 200 && strings.HasPrefix(tc.path, "/system/") && ct != "application/json":
				t.Fatalf("Content-Type %q, want application/json", ct)
			case tc.want == 202 && body != "":
				t.Fatalf("202 with body %q, want empty", body)
			}
		})
	}
}

// TestDeployDance follows `faas-cli deploy`: PUT, on 404 POST the same
// body, then PUT again to update; the status echoes what was deployed.
func TestDeployDance(t *testing.T) {
	e := newEnv(t, Config{})
	body := `{"service":"figlet","image":"r/figlet:1","envProcess":"figlet","envVars":{"A":"1"},
		"constraints":["x=y"],"labels":{"team":"a"},"annotations":{"note":"n"},
		"limits":{"memory":"128Mi","cpu":"200m"},"requests":{"memory":"64Mi"},"readOnlyRootFilesystem":true}`
	if resp, got := e.do("PUT", "/system/functions", body); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("first PUT = %d %q, want 404", resp.StatusCode, got)
	}
	if resp, got := e.do("POST", "/system/functions", body); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %q, want 202", resp.StatusCode, got)
	}
	if resp, got := e.do("PUT", "/system/functions", strings.Replace(body, "figlet:1", "figlet:2", 1)); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("second PUT = %d %q, want 202", resp.StatusCode, got)
	}
	resp, got := e.do("GET", "/system/function/figlet?namespace=openfaas-fn", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET = %d %q", resp.StatusCode, got)
	}
	var st provider.FunctionStatus
	if err := json.Unmarshal([]byte(got), &st); err != nil {
		t.Fatal(err)
	}
	want := provider.FunctionStatus{
		Name: "figlet", Image: "r/figlet:2", Namespace: "openfaas-fn", EnvProcess: "figlet",
		EnvVars: map[string]string{"A": "1"}, Constraints: []string{"x=y"},
		Labels:      map[string]string{"team": "a", "faas_function": "figlet"},
		Annotations: map[string]string{"note": "n"},
		Limits:      &provider.FunctionResources{Memory: "128Mi", CPU: "200m"},
		Requests:    &provider.FunctionResources{Memory: "64Mi"}, ReadOnlyRootFilesystem: true,
		Replicas: 1, AvailableReplicas: 1, CreatedAt: st.CreatedAt,
	}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("status\n got %+v\nwant %+v", st, want)
	}
	if !strings.Contains(got, `"createdAt":"2026-01-02T03:04:05Z"`) {
		t.Fatalf("createdAt missing or not RFC 3339: %s", got)
	}
}

// TestSystemBodyLimit checks 413 for /system JSON bodies above
// Config.MaxBodyBytes, with a declared length and chunked.
func TestSystemBodyLimit(t *testing.T) {
	big := `{"service":"echo","image":"r/echo:1","envVars":{"PAD":"` + strings.Repeat("p", 300) + `"}}`
	for _, tc := range []struct {
		name, method, path string
		chunked            bool
	}{
		{"deploy", "POST", "/system/functions", false},
		{"deploy chunked", "POST", "/system/functions", true},
		{"update", "PUT", "/system/functions", false},
		{"secret", "POST", "/system/secrets", false},
		{"namespace", "POST", "/system/namespace/big", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, Config{MaxBodyBytes: 256})
			var body io.Reader = strings.NewReader(big)
			if tc.chunked {
				body = chunked{body}
			}
			req, err := http.NewRequest(tc.method, e.srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "larger than 256 bytes") {
				t.Fatalf("status %d %q, want 413", resp.StatusCode, b)
			}
		})
	}
}

// TestZeroReplicasOmitted checks that a function scaled to zero has no
// replicas fields in its JSON, as OpenFaaS clients expect.
func TestZeroReplicasOmitted(t *testing.T) {
	e := newEnv(t, Config{})
	e.deploy("idle", "", map[string]string{provider.LabelScaleMin: "0"})
	_, body := e.do("GET", "/system/function/idle", "")
	if strings.Contains(body, "eplicas") {
		t.Fatalf("zero replicas present in %s", body)
	}
}

// TestStatusAnnotationsAlwaysPresent checks that a function deployed without
// annotations or labels answers with both as objects, alone and in the list
// (the OpenFaaS conformance tests dereference annotations).
func TestStatusAnnotationsAlwaysPresent(t *testing.T) {
	e := newEnv(t, Config{})
	if resp, body := e.do("POST", "/system/functions", `{"service":"bare","image":"r/bare:1"}`); resp.StatusCode != 202 {
		t.Fatalf("deploy = %d %q", resp.StatusCode, body)
	}
	for _, path := range []string{"/system/function/bare", "/system/functions"} {
		_, body := e.do("GET", path, "")
		if !strings.Contains(body, `"annotations":{}`) || !strings.Contains(body, `"labels":{`) {
			t.Errorf("GET %s = %s, want annotations {} and labels", path, body)
		}
	}
}

// TestInfoForms: /system/info answers the provider's form by default (what
// a gateway in front reads) and the gateway's form with Config.GatewayInfo
// (local mode: faas-cli version decodes "provider" as an object; the
// provider's form made it fail with "cannot parse result").
func TestInfoForms(t *testing.T) {
	for _, gateway := range []bool{false, true} {
		e := newEnv(t, Config{GatewayInfo: gateway})
		resp, body := e.do("GET", "/system/info", "")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("gateway form %v: %d %q", gateway, resp.StatusCode, body)
		}
		var probe map[string]json.RawMessage
		if err := json.Unmarshal([]byte(body), &probe); err != nil {
			t.Fatal(err)
		}
		nested := strings.HasPrefix(string(probe["provider"]), "{")
		if nested != gateway || (gateway && len(probe["arch"]) < 3) {
			t.Errorf("gateway form %v: %s", gateway, body)
		}
		info, err := provider.DecodeInfo([]byte(body))
		if err != nil || info.Name != "faas-wasm" {
			t.Errorf("gateway form %v: decoded %+v, %v", gateway, info, err)
		}
	}
}
