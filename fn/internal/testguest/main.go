// Command testguest is the fn SDK's test function: it echoes what it
// received as JSON, so the tests can check the request a handler sees and
// the response the host gets, in the native build and in both Wasm shapes.
//
// Query: status (response status), fetch (a URL to GET through
// http.DefaultClient, or through a client of its own over fn.Transport when
// client=own; its status and body are echoed), panic (any value makes the
// handler panic), heap (any value: collect garbage and report the heap in
// use, to test that warm instances do not grow), secret (a secret's name to
// read with fn.Secret; its value or error is echoed).
package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/faas-wasm/faas-wasm/fn"
)

// Echo is what the handler answers.
type Echo struct {
	Method      string `json:"method"`
	Path        string `json:"path"`
	Query       string `json:"query"`
	Host        string `json:"host"`
	XTest       string `json:"x_test"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
	EnvPath     string `json:"env_http_path"`
	EnvXTest    string `json:"env_http_x_test"`
	EnvFunction string `json:"env_function"`
	Fetched     string `json:"fetched,omitempty"`
	FetchError  string `json:"fetch_error,omitempty"`
	HeapBytes   uint64 `json:"heap_bytes,omitempty"`
	Secret      string `json:"secret,omitempty"`
	SecretError string `json:"secret_error,omitempty"`
}

func handle(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("panic") != "" {
		panic("asked to panic")
	}
	body, _ := io.ReadAll(r.Body)
	e := Echo{
		Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Host: r.Host,
		XTest: r.Header.Get("X-Test"), ContentType: r.Header.Get("Content-Type"), Body: string(body),
		EnvPath: os.Getenv("Http_Path"), EnvXTest: os.Getenv("Http_X_Test"), EnvFunction: os.Getenv("FUNCTION_VAR"),
	}
	if q.Get("heap") != "" {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		e.HeapBytes = ms.HeapAlloc
	}
	if name := q.Get("secret"); name != "" {
		if v, err := fn.Secret(name); err != nil {
			e.SecretError = err.Error()
		} else {
			e.Secret = v
		}
	}
	if u := q.Get("fetch"); u != "" {
		client := http.DefaultClient
		if q.Get("client") == "own" {
			client = &http.Client{Transport: fn.Transport(), Timeout: 10 * time.Second}
		}
		resp, err := client.Get(u)
		if err != nil {
			e.FetchError = err.Error()
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			e.Fetched = resp.Status + " " + string(b)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Guest", "fn")
	if s, err := strconv.Atoi(q.Get("status")); err == nil {
		w.WriteHeader(s)
	}
	_ = json.NewEncoder(w).Encode(e)
}

func init() { fn.Register(handle) }

func main() { fn.Start() }
