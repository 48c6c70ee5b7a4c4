// Package proxy is the one invocation proxy of faas-wasm's replicas that
// listen on a network address: container functions in local mode and every
// function's pods on Kubernetes. Both backends use it, so a call behaves the
// same in both modes:
//
//   - calls go round robin over the replicas Endpoints lists at that moment;
//   - a call whose connection could not be made (refused, no route: the
//     replica died before it left the list) is offered to another replica,
//     MaxAttempts in all, unless its body was already read; a call that
//     reached a replica is never sent twice;
//   - no replica listed: 503 "No endpoints available for: NAME." (the HTTP
//     layer's own answer when a function has no ready replica);
//   - the call's deadline passed (the function's timeout): 504
//     "function NAME.NAMESPACE timed out: ...";
//   - any other failure to get an answer from the replica: 502
//     "function NAME.NAMESPACE: replica ADDR did not answer: ...".
//
// It does not count calls (the HTTP layer's metrics do), set the deadline
// (the backend does, from its timeout) or find replicas (Endpoints does).
package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync/atomic"
	"time"
)

// MaxAttempts bounds how many replicas one call is offered to when
// connecting to them fails.
const MaxAttempts = 3

// warnEvery bounds the warnings: a replica that died under load fails every
// call sent to it until it leaves the list, and one line per call would
// flood the log. Lines in between go to debug.
const warnEvery = 5 * time.Second

// Endpoints returns the addresses ("host:port") of a function's ready
// replicas now.
type Endpoints func() []string

// Proxy forwards calls to one function's replicas. It is an http.Handler
// and safe for concurrent use.
type Proxy struct {
	name, ns  string
	endpoints Endpoints
	transport http.RoundTripper
	log       *slog.Logger
	next      atomic.Uint64
	lastWarn  atomic.Int64 // unix ns of the last warning
	rp        *httputil.ReverseProxy
}

type targetKey struct{}

// New returns the proxy of function name in namespace ns, reaching the
// replicas endpoints lists through transport (shared, keep-alive). log
// receives the (rate-limited) warnings; nil means slog.Default().
func New(name, ns string, endpoints Endpoints, transport http.RoundTripper, log *slog.Logger) *Proxy {
	if log == nil {
		log = slog.Default()
	}
	p := &Proxy{name: name, ns: ns, endpoints: endpoints, transport: transport, log: log}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			addr, _ := pr.In.Context().Value(targetKey{}).(string)
			pr.SetURL(&url.URL{Scheme: "http", Host: addr})
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
		Transport:     roundTripper{p},
		FlushInterval: -1,
		ErrorHandler:  p.fail,
	}
	return p
}

// ServeHTTP sends the call to the next replica, round robin. The request's
// path and query go to the replica unchanged.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	addr := p.pick(nil)
	if addr == "" {
		http.Error(w, "No endpoints available for: "+p.name+".", http.StatusServiceUnavailable)
		return
	}
	p.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, addr)))
}

// fail answers a call that got no response: 504 past its deadline, else 502.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, err error) {
	addr, _ := r.Context().Value(targetKey{}).(string)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(r.Context().Err(), context.DeadlineExceeded) {
		http.Error(w, fmt.Sprintf("function %s.%s timed out: %v", p.name, p.ns, err), http.StatusGatewayTimeout)
		return
	}
	p.warn(r.Context(), "function replica did not answer", "function", p.name, "namespace", p.ns, "replica", addr, "err", err)
	http.Error(w, fmt.Sprintf("function %s.%s: replica %s did not answer: %v", p.name, p.ns, addr, err), http.StatusBadGateway)
}

// pick returns the next replica, round robin, skipping those in tried; ""
// when none is left.
func (p *Proxy) pick(tried []string) string {
	var eps []string
	for _, ep := range p.endpoints() {
		if !slices.Contains(tried, ep) {
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return ""
	}
	return eps[int((p.next.Add(1)-1)%uint64(len(eps)))]
}

// warn logs at warning level at most once per warnEvery, else at debug.
func (p *Proxy) warn(ctx context.Context, msg string, args ...any) {
	now := time.Now().UnixNano()
	last := p.lastWarn.Load()
	if now-last >= int64(warnEvery) && p.lastWarn.CompareAndSwap(last, now) {
		p.log.WarnContext(ctx, msg, args...)
		return
	}
	p.log.DebugContext(ctx, msg, args...)
}

// roundTripper sends a call to the replica its URL names; when connecting
// fails and the body was not touched, it offers the call to another one.
type roundTripper struct{ p *Proxy }

func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	p := rt.p
	var body *untouchedBody
	if req.Body != nil && req.Body != http.NoBody {
		body = &untouchedBody{rc: req.Body}
	}
	host := req.URL.Host
	var tried []string
	for {
		out := req.Clone(req.Context())
		out.URL.Host = host
		if body != nil {
			out.Body = body
		}
		resp, err := p.transport.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		tried = append(tried, host)
		if !dialFailed(err) || (body != nil && body.touched.Load()) || req.Context().Err() != nil || len(tried) >= MaxAttempts {
			return nil, err
		}
		next := p.pick(tried)
		if next == "" {
			return nil, err
		}
		p.warn(req.Context(), "function replica not reachable; retrying on another", "function", p.name,
			"namespace", p.ns, "replica", host, "next", next, "err", err)
		host = next
	}
}

// dialFailed tells whether err is a failure to connect: the request was
// never sent.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// untouchedBody passes a request body through and records whether anyone
// read from it. Close does nothing: the transport closes a body when a dial
// fails, and the body may still go to another replica; the reverse proxy
// closes the request's own body when the call ends.
type untouchedBody struct {
	rc      io.ReadCloser
	touched atomic.Bool
}

func (b *untouchedBody) Read(buf []byte) (int, error) {
	b.touched.Store(true)
	return b.rc.Read(buf)
}

func (b *untouchedBody) Close() error { return nil }
