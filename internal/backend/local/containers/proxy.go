package containers

import (
	"net"
	"net/http"
	"strconv"

	"github.com/faas-wasm/faas-wasm/internal/proxy"
)

// Handler returns the function's invocation proxy (package proxy, shared
// with the Kubernetes backend): round robin over the ready replicas' port
// 8080 through a shared keep-alive transport, a refused connection retried
// on another replica, 503 "No endpoints available for: NAME." when none is
// ready (the caller may scale from zero and retry), 504 past the call's
// deadline, 502 for other failures. The request's path and query are
// forwarded unchanged; strip any routing prefix first. A deployed function
// keeps one proxy, so round robin carries on from call to call.
func (m *Manager) Handler(name, namespace string) http.Handler {
	m.mu.RLock()
	fn := m.fns[key(name, namespace)]
	m.mu.RUnlock()
	if fn != nil {
		return fn.proxy
	}
	return m.newProxy(name, namespace)
}

// newProxy returns a proxy over the function's ready replicas.
func (m *Manager) newProxy(name, namespace string) *proxy.Proxy {
	return proxy.New(name, namespace, func() []string { return m.endpoints(name, namespace) }, m.transport, m.log)
}

// endpoints returns "ip:port" of the function's ready replicas, or of its
// retiring ones while none of the new ones is ready.
func (m *Manager) endpoints(name, namespace string) []string {
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
	for i, ip := range ready {
		ready[i] = net.JoinHostPort(ip, strconv.Itoa(m.opts.port))
	}
	return ready
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
