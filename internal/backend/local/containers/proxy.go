package containers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httputil"
	"net/url"
)

type targetKey struct{}

// Handler returns a reverse proxy to the function's ready replicas,
// chosen round robin, over a shared keep-alive transport. It answers 503
// "No endpoints available for: NAME.NAMESPACE." when no replica is ready
// (the caller may scale from zero and retry) and 502 when the chosen
// replica cannot be reached. The request's path and query are forwarded
// unchanged to the replica's port 8080; strip any routing prefix first.
func (m *Manager) Handler(name, namespace string) http.Handler {
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			addr, _ := pr.In.Context().Value(targetKey{}).(string)
			pr.SetURL(&url.URL{Scheme: "http", Host: addr})
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
		},
		Transport:     m.transport,
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			addr, _ := r.Context().Value(targetKey{}).(string)
			m.log.Warn("proxy to replica failed", "function", name, "namespace", namespace, "addr", addr, "err", err)
			if errors.Is(err, context.DeadlineExceeded) {
				http.Error(w, fmt.Sprintf("function %s.%s timed out: %v", name, namespace, err), http.StatusGatewayTimeout)
				return
			}
			http.Error(w, fmt.Sprintf("cannot reach a replica of %s.%s: %v", name, namespace, err), http.StatusBadGateway)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, ok := m.pick(name, namespace)
		if !ok {
			http.Error(w, fmt.Sprintf("No endpoints available for: %s.%s.", name, namespace), http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), targetKey{}, addr)))
	})
}

// pick returns "ip:port" of the next ready replica.
func (m *Manager) pick(name, namespace string) (string, bool) {
	m.mu.RLock()
	fn := m.fns[key(name, namespace)]
	var reps, retiring []*replica
	if fn != nil {
		reps, retiring = fn.replicas, fn.retiring
	}
	m.mu.RUnlock()
	ready := readyAddrs(reps)
	if len(ready) == 0 {
		ready = readyAddrs(retiring)
	}
	if len(ready) == 0 {
		return "", false
	}
	i := fn.next.Add(1)
	return fmt.Sprintf("%s:%d", ready[i%uint64(len(ready))], m.opts.port), true
}

// readyAddrs returns the IPs of the ready replicas among reps.
func readyAddrs(reps []*replica) []string {
	ready := make([]string, 0, len(reps))
	for _, r := range reps {
		r.mu.Lock()
		if r.ready && r.running && r.ip != "" {
			ready = append(ready, r.ip)
		}
		r.mu.Unlock()
	}
	return ready
}

// Ready reports how many replicas of the function answer their health check.
func (m *Manager) Ready(name, namespace string) int {
	n := 0
	for _, r := range m.Replicas(name, namespace) {
		if r.Ready {
			n++
		}
	}
	return n
}
