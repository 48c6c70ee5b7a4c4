package k8s

import (
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/client-go/tools/cache"
)

// podSignals tells the calls waiting for a function that its endpoints or
// replicas may have changed: wait returns a channel that changed closes.
// A function has a channel only while a call waits on it, or until its next
// change after that.
type podSignals struct {
	mu sync.Mutex
	ch map[string]chan struct{} // by "ns/name"
}

// wait returns the channel closed at the function's next change.
func (s *podSignals) wait(key string) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = map[string]chan struct{}{}
	}
	ch, ok := s.ch[key]
	if !ok {
		ch = make(chan struct{})
		s.ch[key] = ch
	}
	return ch
}

// changed wakes the function's waiting calls.
func (s *podSignals) changed(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ch, ok := s.ch[key]; ok {
		close(ch)
		delete(s.ch, key)
	}
}

// podEvents signals a change of a function's endpoints (an EndpointSlice
// of its Service) or of its Deployment (endpoints does not count the pods
// of a Deployment asking for zero replicas) to the waiting calls. The
// informer's cache holds the change when the handler runs.
func (b *Cluster) podEvents() cache.ResourceEventHandler {
	signal := func(obj any) {
		if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
			obj = t.Obj
		}
		switch o := obj.(type) {
		case *discoveryv1.EndpointSlice:
			if svc := o.Labels[discoveryv1.LabelServiceName]; svc != "" {
				b.cold.pods.changed(o.Namespace + "/" + svc)
			}
		case *appsv1.Deployment:
			b.cold.pods.changed(o.Namespace + "/" + o.Name)
		}
	}
	return cache.ResourceEventHandlerFuncs{AddFunc: signal, UpdateFunc: func(_, obj any) { signal(obj) }, DeleteFunc: signal}
}
