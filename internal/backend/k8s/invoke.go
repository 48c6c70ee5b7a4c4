package k8s

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/faas-wasm/faas-wasm/provider"
)

// Invoker returns the handler serving calls to a function: a reverse proxy
// that spreads calls round robin over the ready endpoints of the function's
// EndpointSlices (pod IP:8080) through one pooled keep-alive transport. A
// call whose connection to the chosen replica cannot be made (refused, no
// route: the replica died before its endpoint was dropped) goes to another
// ready replica, at most 3 in all; a call that reached a replica, or whose
// body was read, is never resent. It counts invocations and records the
// last use for idle scale to zero.
//
// # Errors
// provider.ErrNotFound if the function does not exist; provider.ErrUnavailable
// if it has no ready endpoint (the message names why pods are waiting, e.g.
// an image pull failure).
func (b *Cluster) Invoker(_ context.Context, name, namespace string) (http.Handler, error) {
	ns := b.nsOrDefault(namespace)
	d, err := b.deployments.Deployments(ns).Get(name)
	if apierrors.IsNotFound(err) || (err == nil && !isFunction(d)) {
		return nil, fmt.Errorf("invoke %s.%s: %w", name, ns, provider.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("invoke %s.%s: %w", name, ns, err)
	}
	if len(b.endpoints(name, ns)) == 0 {
		why := ""
		if r := b.waitingReasons(name, ns); r != "" {
			why = " (" + r + ")"
		}
		return nil, fmt.Errorf("invoke %s.%s: no ready replica%s: %w", name, ns, why, provider.ErrUnavailable)
	}
	key := ns + "/" + name
	if p, ok := b.proxies.Load(key); ok {
		return p.(*proxy), nil
	}
	p, _ := b.proxies.LoadOrStore(key, b.newProxy(name, ns))
	return p.(*proxy), nil
}

// endpoints returns the addresses ("ip:port") of a function's ready
// endpoints, from the EndpointSlice cache.
func (b *Cluster) endpoints(name, ns string) []string {
	objs, err := b.slices.ByIndex(indexService, ns+"/"+name)
	if err != nil {
		return nil
	}
	var out []string
	for _, obj := range objs {
		s, ok := obj.(*discoveryv1.EndpointSlice)
		if !ok {
			continue
		}
		if s.AddressType != discoveryv1.AddressTypeIPv4 && s.AddressType != discoveryv1.AddressTypeIPv6 {
			continue
		}
		port := strconv.Itoa(slicePort(s))
		for _, ep := range s.Endpoints {
			if (ep.Conditions.Ready != nil && !*ep.Conditions.Ready) || len(ep.Addresses) == 0 {
				continue
			}
			out = append(out, net.JoinHostPort(ep.Addresses[0], port))
		}
	}
	return out
}

// indexService is the EndpointSlice index by "namespace/service".
const indexService = "service"

// serviceIndex files an EndpointSlice under its namespace and Service.
func serviceIndex(obj any) ([]string, error) {
	s, ok := obj.(*discoveryv1.EndpointSlice)
	if !ok || s.Labels[discoveryv1.LabelServiceName] == "" {
		return nil, nil
	}
	return []string{s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]}, nil
}

// slicePort is the port of an EndpointSlice's "http" port (the Service's
// only one), FunctionPort when the slice names none.
func slicePort(s *discoveryv1.EndpointSlice) int {
	for _, p := range s.Ports {
		if p.Port != nil && (p.Name == nil || *p.Name == "http") {
			return int(*p.Port)
		}
	}
	return FunctionPort
}

// waitingReasons describes why a function's pods are not running, e.g.
// "pod fn-abc: ImagePullBackOff: Back-off pulling image ...".
func (b *Cluster) waitingReasons(name, ns string) string {
	pods, err := b.pods.Pods(ns).List(functionSelector(name))
	if err != nil {
		return ""
	}
	var out []string
	for _, p := range pods {
		for _, c := range p.Status.ContainerStatuses {
			if w := c.State.Waiting; w != nil && w.Reason != "" && w.Reason != "ContainerCreating" {
				out = append(out, fmt.Sprintf("pod %s: %s: %s", p.Name, w.Reason, w.Message))
			}
		}
	}
	return strings.Join(out, "; ")
}

// maxAttempts bounds how many replicas one call is offered to when dialing
// them fails.
const maxAttempts = 3

// proxy forwards calls to one function's ready endpoints. It is also the
// reverse proxy's transport: a call whose dial failed (refused, no route,
// timeout) never reached the replica, so it is offered to another ready
// one, up to maxAttempts replicas in all, unless its body was already read.
type proxy struct {
	b        *Cluster
	name, ns string
	next     atomic.Uint64
	rp       *httputil.ReverseProxy
	lastWarn atomic.Int64 // unix nanoseconds of the last warning logged
}

// warnEvery bounds the proxy's warnings: a replica that died under load
// fails every call sent to it until its endpoint is dropped, and one line
// per call would flood the log. Lines in between go to debug.
const warnEvery = 5 * time.Second

// warn logs msg at warning level at most once per warnEvery, else at debug.
func (p *proxy) warn(ctx context.Context, msg string, args ...any) {
	now := time.Now().UnixNano()
	last := p.lastWarn.Load()
	if now-last >= int64(warnEvery) && p.lastWarn.CompareAndSwap(last, now) {
		p.b.log.WarnContext(ctx, msg, args...)
		return
	}
	p.b.log.DebugContext(ctx, msg, args...)
}

func (b *Cluster) newProxy(name, ns string) *proxy {
	p := &proxy{b: b, name: name, ns: ns}
	p.rp = &httputil.ReverseProxy{
		Transport: p,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.Host = ""
			pr.SetXForwarded()
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.warn(r.Context(), "function replica unreachable", "function", name, "namespace", ns, "replica", r.URL.Host, "err", err)
			http.Error(w, "function "+name+" could not be reached: "+err.Error(), http.StatusBadGateway)
		},
	}
	return p
}

// ServeHTTP sends the call to the next ready endpoint, round robin.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := p.b.stats.get(p.ns, p.name, p.b.opts.now())
	s.invocations.Add(1)
	s.inflight.Add(1)
	s.lastUsed.Store(p.b.opts.now().UnixNano())
	defer func() {
		s.lastUsed.Store(p.b.opts.now().UnixNano())
		s.inflight.Add(-1)
	}()
	target := p.pick(nil)
	if target == "" {
		http.Error(w, "No endpoints available for: "+p.name+".", http.StatusServiceUnavailable)
		return
	}
	u := *r.URL
	u.Scheme, u.Host = "http", target
	out := r.WithContext(r.Context())
	out.URL = &u
	p.rp.ServeHTTP(w, out)
}

// pick returns the next ready endpoint, round robin, skipping those in
// tried; "" when none is left.
func (p *proxy) pick(tried []string) string {
	var eps []string
	for _, ep := range p.b.endpoints(p.name, p.ns) {
		if !slices.Contains(tried, ep) {
			eps = append(eps, ep)
		}
	}
	if len(eps) == 0 {
		return ""
	}
	return eps[int((p.next.Add(1)-1)%uint64(len(eps)))]
}

// RoundTrip sends req to the replica its URL names; when dialing it fails
// and the body was not touched, it offers req to another ready replica.
func (p *proxy) RoundTrip(req *http.Request) (*http.Response, error) {
	var body *untouchedBody
	if req.Body != nil && req.Body != http.NoBody {
		body = &untouchedBody{rc: req.Body}
	}
	host := req.URL.Host
	var tried []string
	for {
		out := req.WithContext(req.Context())
		u := *req.URL
		u.Host = host
		out.URL = &u
		if body != nil {
			out.Body = body
		}
		resp, err := p.b.opts.transport.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		tried = append(tried, host)
		if !dialFailed(err) || (body != nil && body.touched.Load()) || req.Context().Err() != nil || len(tried) >= maxAttempts {
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
// read from it. Close does nothing: the transport closes a body when a
// dial fails, and the body may still be sent to another replica; the
// reverse proxy closes the request's own body when the call ends.
type untouchedBody struct {
	rc      io.ReadCloser
	touched atomic.Bool
}

func (b *untouchedBody) Read(p []byte) (int, error) {
	b.touched.Store(true)
	return b.rc.Read(p)
}

func (b *untouchedBody) Close() error { return nil }
