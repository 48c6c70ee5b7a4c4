package wasm

import (
	"context"
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

// TestHostAliasDialer checks the name mapping of WithHostAlias at the
// client: the alias (any case) dials its address, keeps its name as the
// Host header, and other names dial as they are.
func TestHostAliasDialer(t *testing.T) {
	var seenHost atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seenHost.Store(r.Host)
		fmt.Fprint(w, "host service")
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	c := defaultHTTPClient(map[string]string{"host.faas-wasm.internal": "127.0.0.1"})
	for _, name := range []string{"host.faas-wasm.internal", "Host.FaaS-Wasm.Internal", "127.0.0.1"} {
		t.Run(name, func(t *testing.T) {
			resp, err := c.Get("http://" + net.JoinHostPort(name, port) + "/x")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || seenHost.Load() != net.JoinHostPort(name, port) {
				t.Fatalf("status %d, Host %v", resp.StatusCode, seenHost.Load())
			}
		})
	}
	if _, err := aliasDialer(&net.Dialer{}, nil)(context.Background(), "tcp", net.JoinHostPort("127.0.0.1", port)); err != nil {
		t.Fatalf("no aliases: %v", err)
	}
}

// TestOutboundHTTPHostAlias runs a guest's faas_http request to the host
// alias (as local mode configures it: host.faas-wasm.internal → 127.0.0.1)
// and checks that the allow-list names the alias, not the address it maps to.
func TestOutboundHTTPHostAlias(t *testing.T) {
	const alias = "host.faas-wasm.internal"
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprintf(w, "hello from the host, asked for %s", r.Host)
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	e, err := NewEngine(t.TempDir(), WithHostAlias(alias, "127.0.0.1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	m, err := e.Compile(context.Background(), cmdGuest)
	if err != nil {
		t.Fatal(err)
	}
	target := url.QueryEscape("http://" + net.JoinHostPort(alias, port) + "/hamlet.txt")
	for _, c := range []struct {
		name     string
		allowed  []string
		status   int
		contains string
	}{
		{"alias allowed", []string{alias}, 200, "hello from the host, asked for " + alias + ":" + port},
		{"alias with port allowed", []string{alias + ":" + port}, 200, "hello from the host"},
		{"only the address allowed", []string{"127.0.0.1"}, 502, `host "` + alias + ":" + port + `" is not in`},
		{"nothing allowed", nil, 502, "is not in com.openfaas.wasm.allowed-hosts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, err := e.NewFunction(m, Config{Name: "alias", AllowedHosts: c.allowed})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			before := hits.Load()
			resp, err := call(f, "do=fetch&url="+target, "")
			if err != nil {
				t.Fatal(err)
			}
			if resp.Status != c.status || !strings.Contains(string(resp.Body), c.contains) {
				t.Fatalf("got %d %q, want %d containing %q", resp.Status, resp.Body, c.status, c.contains)
			}
			if hit := hits.Load() > before; hit != (c.status == 200) {
				t.Fatalf("server reached: %v", hit)
			}
		})
	}
}
