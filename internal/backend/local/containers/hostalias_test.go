package containers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/faas-wasm/faas-wasm/provider"
)

// TestHostAliasReachesTheHost runs a container function that resolves
// provider.HostAlias (to the bridge gateway) and fetches a page from a
// server on the host listening on that gateway address, by the name.
func TestHostAliasReachesTheHost(t *testing.T) {
	h := requireHarness(t)
	m := newTestManager(t)
	ctx := context.Background()
	gw := m.HostAddress()
	if gw == "" {
		t.Fatal("no host address")
	}
	s := Spec{Name: "caller", Namespace: "fn", Image: h.images[imgEcho], EnvProcess: "/bin/fntool"}
	if err := m.Apply(ctx, s, 1); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	waitReady(t, m.Manager, "caller", "fn", 1)
	hd := m.Handler("caller", "fn")

	if code, body := call(hd, "GET", "/?mode=resolve&arg="+provider.HostAlias, ""); code != 200 || body != gw {
		t.Fatalf("%s resolves to %d %q in the container, want %s", provider.HostAlias, code, body, gw)
	}
	// The bridge exists now that a replica is attached: a host service can
	// listen on its gateway address.
	ln, err := net.Listen("tcp", net.JoinHostPort(gw, "0"))
	if err != nil {
		t.Fatalf("listen on the bridge gateway: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "host service, Host %s", r.Host)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	target := "http://" + net.JoinHostPort(provider.HostAlias, port) + "/hamlet.txt"
	code, body := call(hd, "GET", "/?mode=get&arg="+url.QueryEscape(target), "")
	if code != 200 || !strings.Contains(body, "host service, Host "+provider.HostAlias+":"+port) {
		t.Fatalf("GET %s from the container = %d %q", target, code, body)
	}
}
