package handlers

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

const fuzzMax = 4096

// checkDecodeErr fails when a decode error is not a client error.
func checkDecodeErr(t *testing.T, in []byte, err error) {
	t.Helper()
	if s := StatusFor(err); s != 400 && s != 413 && s != 404 {
		t.Fatalf("input %q: error %v maps to %d", in, err, s)
	}
	if err.Error() == "" {
		t.Fatalf("input %q: empty error message", in)
	}
}

func validNames(t *testing.T, in []byte, kind, name, ns string) {
	t.Helper()
	if provider.ValidateName(kind, name) != nil || provider.ValidateName("namespace", ns) != nil {
		t.Fatalf("input %q accepted with %s %q namespace %q", in, kind, name, ns)
	}
}

func FuzzDecodeDeployment(f *testing.F) {
	for _, s := range []string{
		`{"service":"echo","image":"r/echo:1"}`,
		`{"service":"echo","image":"r/echo:1","namespace":"dev","envVars":{"A":"1"},"secrets":["s"],
		  "labels":{"com.openfaas.scale.min":"0","com.openfaas.scale.zero":"true"},
		  "annotations":{"com.openfaas.runtime":"wasm"},"limits":{"memory":"128Mi","cpu":"100m"}}`,
		`{"service":"Echo","image":"x"}`, `{"service":"echo"}`, `{}`, `[]`, `null`, `{"service":"a","image":"b"} {}`,
		`{"service":"a","image":"b","limits":{"memory":"9999999999999Ti"}}`, "\xff", "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fn, err := decodeDeployment(bytes.NewReader(in), fuzzMax, provider.DefaultNamespace)
		if err != nil {
			checkDecodeErr(t, in, err)
			return
		}
		validNames(t, in, "function", fn.Service, fn.Namespace)
		if fn.Image == "" {
			t.Fatalf("input %q accepted without image", in)
		}
		for _, s := range fn.Secrets {
			if provider.ValidateName("secret", s) != nil {
				t.Fatalf("input %q accepted with secret %q", in, s)
			}
		}
	})
}

func FuzzDecodeSecret(f *testing.F) {
	for _, s := range []string{
		`{"name":"db","value":"hunter22"}`, `{"name":"db","namespace":"dev","rawValue":"aHVudGVyMjI="}`,
		`{"name":"DB","value":"hunter22"}`, `{"value":"hunter22"}`, `{"name":"db","rawValue":"!!"}`, `{"name":1}`, "",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := decodeSecret(bytes.NewReader(in), fuzzMax, "", provider.DefaultNamespace)
		if err != nil {
			checkDecodeErr(t, in, err)
			var raw provider.Secret
			if json.Unmarshal(in, &raw) == nil && len(raw.Value) >= 8 &&
				!strings.Contains(raw.Name+raw.Namespace, raw.Value) && strings.Contains(err.Error(), raw.Value) {
				t.Fatalf("error %q quotes the secret value", err)
			}
			return
		}
		validNames(t, in, "secret", s.Name, s.Namespace)
	})
}

func FuzzDecodeScale(f *testing.F) {
	for _, s := range []struct{ path, body string }{
		{"echo", `{"serviceName":"echo","replicas":0}`}, {"echo.dev", `{"replicas":3,"namespace":"dev"}`},
		{"echo", `{"serviceName":"other","replicas":1}`}, {"echo", `{"replicas":-1}`}, {"", `{}`}, {"a.b.c", `{}`},
	} {
		f.Add(s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, path string, in []byte) {
		req, err := decodeScale(bytes.NewReader(in), fuzzMax, path, "", provider.DefaultNamespace)
		if err != nil {
			checkDecodeErr(t, in, err)
			return
		}
		validNames(t, in, "function", req.ServiceName, req.Namespace)
	})
}

func FuzzDecodeDelete(f *testing.F) {
	for _, s := range []string{`{"functionName":"echo"}`, `{"functionName":"echo","namespace":"dev"}`,
		`{"functionName":""}`, `{"functionName":"a.b"}`, `"echo"`, ""} {
		f.Add([]byte(s), "")
	}
	f.Add([]byte(`{"functionName":"echo","namespace":"dev"}`), "prod")
	f.Fuzz(func(t *testing.T, in []byte, queryNS string) {
		name, ns, err := decodeDelete(bytes.NewReader(in), fuzzMax, queryNS, provider.DefaultNamespace)
		if err != nil {
			checkDecodeErr(t, in, err)
			return
		}
		validNames(t, in, "function", name, ns)
	})
}

func FuzzDecodeNamespace(f *testing.F) {
	for _, s := range []struct{ path, body string }{
		{"dev", ``}, {"dev", `{"labels":{"a":"b"}}`}, {"dev", `{"name":"prod"}`}, {"Dev", `{}`}, {"dev", `{`},
	} {
		f.Add(s.path, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, path string, in []byte) {
		ns, err := decodeNamespace(bytes.NewReader(in), fuzzMax, path)
		if err != nil {
			checkDecodeErr(t, in, err)
			return
		}
		if ns.Name != path || provider.ValidateName("namespace", ns.Name) != nil {
			t.Fatalf("path %q body %q accepted as %+v", path, in, ns)
		}
	})
}

func FuzzParseFunctionPath(f *testing.F) {
	for _, s := range []string{"/function/echo", "/function/echo.dev/a/b", "/function/", "/function/.dev",
		"/function/echo./x", "/function/a.b.c/", "/function/echo//x", "/other", "/function/Echo"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		tg, err := parseFunctionPath(&url.URL{Path: p}, functionPrefix, provider.DefaultNamespace)
		if err != nil {
			if StatusFor(err) != 400 {
				t.Fatalf("path %q: error %v maps to %d", p, err, StatusFor(err))
			}
			return
		}
		validNames(t, []byte(p), "function", tg.name, tg.namespace)
		if !strings.HasPrefix(tg.path, "/") || !strings.HasSuffix(p, strings.TrimPrefix(tg.path, "/")) {
			t.Fatalf("path %q left %q for the function", p, tg.path)
		}
		if seg, _, _ := strings.Cut(strings.TrimPrefix(p, functionPrefix), "/"); functionPrefix+seg+tg.path != p && functionPrefix+seg != p {
			t.Fatalf("path %q split into %q + %q", p, seg, tg.path)
		}
	})
}
