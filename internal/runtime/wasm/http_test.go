package wasm

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
)

func TestOutboundHTTP(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Seen-From", r.Header.Get("X-From"))
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	_, port, _ := net.SplitHostPort(host)
	target := url.QueryEscape(srv.URL + "/hamlet.txt")
	cases := []struct {
		name     string
		allowed  []string
		query    string
		status   int
		contains string
		hit      bool
	}{
		{"allowed host:port", []string{host}, "do=fetch&url=" + target, 200, "hello from /hamlet.txt", true},
		{"allowed host any port", []string{"127.0.0.1"}, "do=fetch&url=" + target, 200, "hello from /hamlet.txt", true},
		{"case-insensitive list", []string{" 127.0.0.1:" + port + " "}, "do=fetch&url=" + target, 200, "X-Upstream-Status: 200", true},
		{"deny by default", nil, "do=fetch&url=" + target, 502,
			`faas_http: host "` + host + `" is not in com.openfaas.wasm.allowed-hosts`, false},
		{"other port", []string{"127.0.0.1:1"}, "do=fetch&url=" + target, 502, "is not in com.openfaas.wasm.allowed-hosts", false},
		{"other host", []string{"api.local", "127.0.0.1"}, "do=fetch&url=" + url.QueryEscape("http://example.com/"), 502,
			`host "example.com" is not in`, false},
		{"relative uri", []string{host}, "do=fetch&url=%2Fx", 502, "absolute http:// or https:// URI", false},
		{"bad scheme", []string{host}, "do=fetch&url=" + url.QueryEscape("ftp://"+host+"/x"), 502, "absolute http://", false},
		{"connection refused", []string{"127.0.0.1"}, "do=fetch&url=" + url.QueryEscape("http://127.0.0.1:1/"), 502, "faas_http:", false},
	}
	for _, g := range goGuests() {
		for _, c := range cases {
			t.Run(g.name+"/"+c.name, func(t *testing.T) {
				f := deploy(t, g.bytes(t), Config{AllowedHosts: c.allowed})
				before := hits.Load()
				resp, err := call(f, c.query, "")
				if err != nil {
					t.Fatal(err)
				}
				if resp.Status != c.status || !strings.Contains(string(resp.Body)+headerText(resp.Header), c.contains) {
					t.Errorf("got %d %q %v, want %d containing %q", resp.Status, resp.Body, resp.Header, c.status, c.contains)
				}
				if hit := hits.Load() > before; hit != c.hit {
					t.Errorf("server reached: %v, want %v", hit, c.hit)
				}
			})
		}
	}
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, v := range h {
		fmt.Fprintf(&b, "\n%s: %s", k, strings.Join(v, ","))
	}
	return b.String()
}

func TestHostAllowed(t *testing.T) {
	cases := []struct {
		allowed        []string
		scheme, target string
		want           bool
	}{
		{[]string{"api.local"}, "http", "api.local", true},
		{[]string{"api.local"}, "https", "api.local:8443", true},
		{[]string{"api.local:80"}, "http", "api.local", true},
		{[]string{"api.local:443"}, "http", "api.local", false},
		{[]string{"api.local:443"}, "https", "API.LOCAL", true},
		{[]string{"[::1]:8080"}, "http", "[::1]:8080", true},
		{[]string{"::1"}, "http", "[::1]:9", true},
		{[]string{"api.local"}, "http", "api.local.evil.com", false},
		{nil, "http", "api.local", false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.allowed, c.target), func(t *testing.T) {
			if got := hostAllowed(c.allowed, c.scheme, c.target); got != c.want {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}
