package k8s

import (
	"context"
	"strconv"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// cacheWait bounds how long a write waits for the informer caches, which
// serve every read, to show it. Watches deliver within milliseconds; a
// write that is still not seen after this returns anyway.
const cacheWait = 2 * time.Second

// awaitCache makes the backend read its own writes. Every read is served
// from informer caches, so after a write that returned resource version rv
// it polls get until the cache shows that version or a later one (with rv
// "": shows the object gone or being deleted), for at most cacheWait or
// until ctx ends. A client's GET right after its POST, PUT or DELETE then
// sees what it did.
func (b *Cluster) awaitCache(ctx context.Context, what, rv string, get func() (metav1.Object, error)) {
	deadline := time.Now().Add(cacheWait)
	for {
		obj, err := get()
		if rv == "" && (err != nil || obj.GetDeletionTimestamp() != nil) {
			return
		}
		if rv != "" && err == nil && atLeast(obj.GetResourceVersion(), rv) {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			b.log.Debug("cache has not caught up with a write", "object", what)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// atLeast reports whether resource version got is want or a later one.
// Versions are compared as numbers, which the API server's are; otherwise
// only an equal version counts.
func atLeast(got, want string) bool {
	if got == want {
		return true
	}
	g, gerr := strconv.ParseUint(got, 10, 64)
	w, werr := strconv.ParseUint(want, 10, 64)
	return gerr == nil && werr == nil && g > w
}

// The cached objects awaitCache polls.

func (b *Cluster) cachedDeployment(ns, name string) func() (metav1.Object, error) {
	return func() (metav1.Object, error) { return b.deployments.Deployments(ns).Get(name) }
}

func (b *Cluster) cachedSecret(ns, name string) func() (metav1.Object, error) {
	return func() (metav1.Object, error) { return b.secrets.Secrets(ns).Get(name) }
}

func (b *Cluster) cachedNamespace(name string) func() (metav1.Object, error) {
	return func() (metav1.Object, error) { return b.namespaces.Get(name) }
}
