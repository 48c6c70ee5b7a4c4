package reliability

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/internal/oci/ocitest"
	"github.com/faas-wasm/faas-wasm/provider"
)

// TestSecretsNeverLeak drives every secret path, good and bad, with the
// provider logging at debug level, then looks for the secret values in
// every response body and every line the provider wrote. Only the function
// that mounts a secret may read it.
func TestSecretsNeverLeak(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	ref := pushWasm(t, registry, "neighbour", neighbourWasm)
	p := startProvider(t, t.TempDir(), "--log-level", "debug", "--log-format", "json", "--max-body-bytes", "4096")
	values := map[string]string{}
	for _, k := range []string{"a", "a2", "b", "c", "d", "e"} {
		values[k] = "sv-" + k + "-" + randHex(t)
	}
	wasm := map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm}
	var bodies []string
	step := func(want int, method, path string, body any) {
		t.Helper()
		code, out, err := p.call(method, path, body)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if code != want {
			t.Errorf("%s %s = %d %.200q, want %d", method, path, code, out, want)
		}
		bodies = append(bodies, fmt.Sprintf("%s %s -> %d %s", method, path, code, out))
	}
	step(http.StatusAccepted, http.MethodPost, "/system/secrets", provider.Secret{Name: "a", Value: values["a"]})
	step(http.StatusConflict, http.MethodPost, "/system/secrets", provider.Secret{Name: "a", Value: values["b"]})
	step(http.StatusNotFound, http.MethodPut, "/system/secrets", provider.Secret{Name: "nope", Value: values["b"]})
	step(http.StatusBadRequest, http.MethodPost, "/system/secrets", provider.Secret{Name: "Bad_Name", Value: values["c"]})
	step(http.StatusNotFound, http.MethodPost, "/system/secrets", provider.Secret{Name: "x", Namespace: "nope", Value: values["c"]})
	step(http.StatusBadRequest, http.MethodPost, "/system/secrets", `{"name":"x","value":"`+values["d"]+`"`)
	step(http.StatusBadRequest, http.MethodPost, "/system/secrets", `{"name":"x","value":"`+values["d"]+`","rawValue":7}`)
	step(http.StatusRequestEntityTooLarge, http.MethodPost, "/system/secrets", provider.Secret{Name: "big", Value: values["e"] + strings.Repeat("e", 8192)})
	step(http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "user", Image: ref, Secrets: []string{"a"}, Annotations: wasm})
	step(http.StatusBadRequest, http.MethodPost, "/system/functions", provider.FunctionDeployment{Service: "other", Image: ref, Secrets: []string{"a", "missing"}, Annotations: wasm})
	step(http.StatusAccepted, http.MethodPut, "/system/secrets", provider.Secret{Name: "a", Value: values["a2"]})
	step(http.StatusOK, http.MethodGet, "/system/function/user", nil)
	step(http.StatusOK, http.MethodGet, "/system/functions", nil)
	step(http.StatusOK, http.MethodGet, "/system/secrets", nil)
	step(http.StatusOK, http.MethodGet, "/system/info", nil)
	step(http.StatusOK, http.MethodGet, "/metrics", nil)
	step(http.StatusNotFound, http.MethodGet, "/function/user?secret=missing", nil)
	step(http.StatusOK, http.MethodGet, "/system/logs?name=user&tail=100", nil)
	// The mounting function reads the secret: the one place its value may
	// appear. Once deleted, it is gone from the function's mount too.
	if got := p.expect(t, http.StatusOK, http.MethodGet, "/function/user?secret=a", nil); got != values["a2"] {
		t.Errorf("function reads %q, want the updated secret", got)
	}
	step(http.StatusAccepted, http.MethodDelete, "/system/secrets", provider.Secret{Name: "a"})
	step(http.StatusNotFound, http.MethodGet, "/function/user?secret=a", nil)
	all := strings.Join(bodies, "\n") + "\n" + p.Output.String()
	for k, v := range values {
		if strings.Contains(all, v) {
			t.Errorf("value of secret %s appears in a response or the provider's output", k)
		}
	}
	t.Logf("%d responses and %d bytes of provider output searched for %d secret values: 0 found", len(bodies), len(p.Output.String()), len(values))
}

// TestSizeLimits checks the request body limit (413) on every route that
// takes a body and the header size limit (431).
func TestSizeLimits(t *testing.T) {
	registry := ocitest.NewRegistry(t)
	p := startProvider(t, t.TempDir(), "--max-body-bytes", "4096")
	p.expect(t, http.StatusAccepted, http.MethodPost, "/system/functions", provider.FunctionDeployment{
		Service: "fn", Image: pushWasm(t, registry, "neighbour", neighbourWasm),
		Annotations: map[string]string{provider.AnnotationRuntime: provider.RuntimeWasm},
	})
	big := `{"service":"` + strings.Repeat("x", 8192) + `"}`
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/system/functions"},
		{http.MethodPut, "/system/functions"},
		{http.MethodDelete, "/system/functions"},
		{http.MethodPost, "/system/secrets"},
		{http.MethodPut, "/system/secrets"},
		{http.MethodDelete, "/system/secrets"},
		{http.MethodPost, "/system/scale-function/fn"},
		{http.MethodPost, "/system/namespace/big"},
		{http.MethodPut, "/system/namespace/openfaas-fn"},
		{http.MethodPost, "/system/alert"},
		{http.MethodPost, "/function/fn"},
	} {
		t.Run("body "+tc.method+" "+tc.path, func(t *testing.T) {
			p.expect(t, http.StatusRequestEntityTooLarge, tc.method, tc.path, big)
		})
	}
	for _, path := range []string{"/system/functions", "/function/fn", "/healthz"} {
		t.Run("header "+path, func(t *testing.T) {
			code, _, err := p.call(http.MethodGet, path, nil, "X-Big", strings.Repeat("h", 2<<20))
			if err != nil {
				t.Fatal(err)
			}
			if code != http.StatusRequestHeaderFieldsTooLarge {
				t.Fatalf("2 MiB header = %d, want 431", code)
			}
		})
	}
	if _, err := hit(p.URL+"/function/fn", "ok"); err != nil {
		t.Fatalf("function after the limit checks: %v", err)
	}
}

func randHex(t *testing.T) string {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
